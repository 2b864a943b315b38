import type { Clock } from '../clock.ts';
import type { Channel } from './types.ts';

/** Clerk's window for the invitation allowances, and the default budget window. */
export const HOUR_MS = 3_600_000;

/**
 * We stamp a spend when it is taken, just before the call leaves; Clerk counts the call when it arrives,
 * up to the upstream timeout later. Keeping each spend that much longer than an hour stops a slow call
 * from still being in Clerk's hour when our log already let a new one through.
 */
export const DEFAULT_BUDGET_MARGIN_MS = 10_000;

/** Clerk's hourly allowance per channel for one Clerk instance (per budget window, when one is set). */
export interface BudgetLimits {
  /** Bulk invitation calls per hour (per window). Clerk allows 25. */
  bulkPerHour: number;
  /** Single invitation creates per hour (per window). Clerk allows 100. */
  singlePerHour: number;
}

export interface BudgetWindowOptions extends BudgetLimits {
  /** Time source; inject one to run an hour of traffic in a moment. @default systemClock */
  clock?: Clock;
  /**
   * The window the per-hour limits apply to. Clerk's is an hour; a shorter one lets tests and
   * benchmarks run "an hour" in seconds against an emulator set the same way. @default 3_600_000
   */
  windowMs?: number;
  /**
   * Added to an hour-long window each spend is kept (see DEFAULT_BUDGET_MARGIN_MS); a shorter window
   * keeps the same share of it (see `budgetWindowMs`). @default 10_000
   */
  marginMs?: number;
}

/**
 * The least margin a shortened window keeps (never more than the margin given). Windows below an hour
 * are for an emulator on loopback, often in the same process as the gateway: a busy event loop can
 * hold one call's arrival there tens of milliseconds longer than the next one's, and a margin smaller
 * than that difference would let our log admit a call the emulator still counts against the last
 * window. 100 ms costs a 10 s window 1% of its calls.
 */
export const MIN_SCALED_MARGIN_MS = 100;

/**
 * How long each spend stays in the log: the window plus the margin. Below an hour the margin shrinks in
 * proportion (down to MIN_SCALED_MARGIN_MS), so a 10 s window keeps each spend 10.1 s rather than 20 s
 * and yields its whole budget in every window, as an hour-long one does. Longer windows keep the margin
 * as given, which already covers the slowest call.
 */
export function budgetWindowMs(options: { windowMs?: number; marginMs?: number }): number {
  const window = options.windowMs ?? HOUR_MS;
  const margin = options.marginMs ?? DEFAULT_BUDGET_MARGIN_MS;
  if (!Number.isInteger(window) || window < 1) throw new TypeError(`budget: windowMs must be a positive integer, got ${window}`);
  if (!Number.isInteger(margin) || margin < 0) throw new TypeError(`budget: marginMs must be a non-negative integer, got ${margin}`);
  const scaled = Math.ceil((margin * Math.min(window, HOUR_MS)) / HOUR_MS);
  return window + Math.max(scaled, Math.min(margin, MIN_SCALED_MARGIN_MS));
}

export function limitOf(limits: BudgetLimits, channel: Channel): number {
  return channel === 'bulk' ? limits.bulkPerHour : limits.singlePerHour;
}

export function assertLimits(limits: BudgetLimits): void {
  for (const [name, value] of [['bulkPerHour', limits.bulkPerHour], ['singlePerHour', limits.singlePerHour]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new TypeError(`budget: ${name} must be a positive integer, got ${value}`);
  }
}

/** A take that could never fit is a bug in the caller, not something to retry later. */
export function assertUnits(channel: Channel, units: number, limit: number): void {
  if (!Number.isInteger(units) || units < 1 || units > limit) {
    throw new RangeError(`budget: cannot take ${units} ${channel} units; a take must be 1..${limit}`);
  }
}

/** Refunding nothing is fine; refunding a fraction or a negative number is a bug. */
export function assertRefund(channel: Channel, units: number): void {
  if (!Number.isInteger(units) || units < 0) throw new RangeError(`budget: cannot refund ${units} ${channel} units`);
}
