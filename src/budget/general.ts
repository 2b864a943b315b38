import type { Clock } from '../clock.ts';
import type { BudgetDecision } from './types.ts';

/**
 * Clerk call families that share the general limit and that a 429 pauses one at a time: the invitation
 * list (admin queries, reconciliation, the readiness probe), the user lookup, and revokes. Creates have
 * their own hourly channels and are only recorded here (see `GeneralBudget.charge`).
 */
export type CallFamily = 'list' | 'users' | 'revoke';

export const CALL_FAMILIES: readonly CallFamily[] = ['list', 'users', 'revoke'];

/** Clerk's general window: the limit counts requests per 10 s per instance. */
export const GENERAL_WINDOW_MS = 10_000;

/**
 * We stamp a spend just before the request leaves; Clerk counts it when it arrives, which on a live
 * connection is a few milliseconds later. Keeping each spend a second longer than Clerk's window covers a
 * slow connect without halving the allowance the way the hourly budget's full-timeout margin would.
 */
export const DEFAULT_GENERAL_MARGIN_MS = 1_000;

/** The share of Clerk's general limit left to the customer's own app when nothing else is configured. */
export const DEFAULT_GENERAL_RESERVE_PERCENT = 50;

/** Clerk's documented general limit for the instance the key belongs to. */
export function defaultGeneralPer10s(secretKey: string): number {
  // Production keys get 1000 / 10 s; development keys 100. Anything else is treated as the smaller one.
  return secretKey.startsWith('sk_live_') ? 1000 : 100;
}

export interface GeneralBudgetOptions {
  /** Clerk's general limit for this instance, requests per 10 s. */
  clerkPer10s: number;
  /** Percent of `clerkPer10s` the gateway leaves to the customer's own app. @default 50 */
  reservePercent?: number;
  /** Added to the 10 s each spend is kept (see DEFAULT_GENERAL_MARGIN_MS). @default 1000 */
  marginMs?: number;
  clock?: Clock;
}

export interface GeneralStatus {
  /** Clerk's limit for the instance, per 10 s. */
  clerkLimit: number;
  /** What the gateway allows itself: Clerk's limit minus the customer's reserve. */
  limit: number;
  remaining: number;
  /** How long each spend is counted (Clerk's 10 s plus the margin). */
  windowMs: number;
  /** When the oldest counted spend leaves the window; null when nothing is counted. */
  resetAt: number | null;
  /** Per family, set while Clerk asked for a back-off (a 429 with Retry-After). */
  paused: { family: CallFamily; pausedUntil: number | null }[];
  /** The shared store did not answer: nothing can be taken. */
  unavailable?: true;
}

/**
 * Clerk's general per-instance request allowance as the gateway spends it. Atomic like the hourly
 * budget: two replicas never both get the last unit.
 */
export interface GeneralBudget {
  /**
   * Spend `units` requests of `family` if the family is not paused and they all fit with `keep` units
   * still left over (room held for calls that matter more); else spend nothing.
   */
  take(family: CallFamily, units: number, keep?: number): Promise<BudgetDecision>;
  /**
   * Records requests that go out whatever this budget says (creates, already admitted by their hourly
   * channel), so that reads leave room for them. May push the count over the limit.
   */
  charge(units: number): Promise<void>;
  /** Refuse `family` on every replica until `untilMs`. */
  pause(family: CallFamily, untilMs: number): Promise<void>;
  status(): Promise<GeneralStatus>;
}

export interface ResolvedGeneral {
  clerkLimit: number;
  limit: number;
  windowMs: number;
}

export function resolveGeneral(options: GeneralBudgetOptions): ResolvedGeneral {
  const { clerkPer10s, reservePercent = DEFAULT_GENERAL_RESERVE_PERCENT, marginMs = DEFAULT_GENERAL_MARGIN_MS } = options;
  if (!Number.isInteger(clerkPer10s) || clerkPer10s < 1) throw new TypeError(`general budget: clerkPer10s must be a positive integer, got ${clerkPer10s}`);
  if (!Number.isInteger(reservePercent) || reservePercent < 0 || reservePercent > 90) {
    throw new TypeError(`general budget: reservePercent must be an integer 0..90, got ${reservePercent}`);
  }
  if (!Number.isInteger(marginMs) || marginMs < 0) throw new TypeError(`general budget: marginMs must be a non-negative integer, got ${marginMs}`);
  const limit = Math.max(1, Math.floor((clerkPer10s * (100 - reservePercent)) / 100));
  return { clerkLimit: clerkPer10s, limit, windowMs: GENERAL_WINDOW_MS + marginMs };
}

export function assertGeneralUnits(units: number, limit: number): void {
  if (!Number.isInteger(units) || units < 1 || units > limit) {
    throw new RangeError(`general budget: cannot take ${units} units; a take must be 1..${limit}`);
  }
}

export function assertFamily(family: string): asserts family is CallFamily {
  if (!(CALL_FAMILIES as readonly string[]).includes(family)) throw new RangeError(`general budget: unknown call family ${JSON.stringify(family)}`);
}
