import type { Clock } from '../clock.ts';
import type { Channel } from './types.ts';

const HOUR_MS = 3_600_000;

/**
 * We stamp a spend when it is taken, just before the call leaves; Clerk counts the call when it arrives,
 * up to the upstream timeout later. Keeping each spend that much longer than an hour stops a slow call
 * from still being in Clerk's hour when our log already let a new one through.
 */
export const DEFAULT_BUDGET_MARGIN_MS = 10_000;

/** Clerk's hourly allowance per channel for one Clerk instance. */
export interface BudgetLimits {
  /** Bulk invitation calls per hour. Clerk allows 25. */
  bulkPerHour: number;
  /** Single invitation creates per hour. Clerk allows 100. */
  singlePerHour: number;
}

export interface BudgetWindowOptions extends BudgetLimits {
  /** Time source; inject one to run an hour of traffic in a moment. @default systemClock */
  clock?: Clock;
  /** Added to the hour each spend is kept (see DEFAULT_BUDGET_MARGIN_MS). @default 10_000 */
  marginMs?: number;
}

/** How long each spend stays in the log. */
export function budgetWindowMs(options: { marginMs?: number }): number {
  const margin = options.marginMs ?? DEFAULT_BUDGET_MARGIN_MS;
  if (!Number.isInteger(margin) || margin < 0) throw new TypeError(`budget: marginMs must be a non-negative integer, got ${margin}`);
  return HOUR_MS + margin;
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
