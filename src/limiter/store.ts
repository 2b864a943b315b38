import type { Identity } from 'graphql-rate-limit';

export type { Identity };

/**
 * A log holding this many entries in its window records later calls at a coarser grain: a call within
 * window / COARSE_AFTER of the newest entry joins it, and the entry moves to the later time. So a log
 * holds at most 2 × COARSE_AFTER entries however fast its caller calls (every refused call is recorded
 * by default: without this a caller calling flat out for an hour grew its log by one entry a
 * millisecond, 58 MB in memory). Moving an entry later only keeps its units counted longer, so the
 * limit is never looser than the exact sliding window; a caller past COARSE_AFTER calls a window is
 * admitted at most window / COARSE_AFTER later than exactly (14 s on an hour).
 */
export const COARSE_AFTER = 256;

/** One check against a caller limit. */
export interface HitRequest {
  /** What this call costs (1, or the length of the `arrayLengthField` list). */
  units: number;
  max: number;
  windowMs: number;
  /** Record the units even when the call is rejected (graphql-rate-limit's default). */
  countRejected: boolean;
}

export interface HitResult {
  allowed: boolean;
  /** Units still available in the window after this check. */
  remaining: number;
  /** 0 when allowed; otherwise the time until `units` fit again if nothing else is recorded meanwhile. */
  retryAfterMs: number;
  /**
   * Time until the oldest unit counted now leaves the window, so `remaining` cannot grow before then; the
   * whole window when nothing is counted.
   */
  resetAfterMs: number;
}

/** A read of a caller limit that records nothing. */
export interface PeekRequest {
  max: number;
  windowMs: number;
}

export interface PeekResult {
  /** Units that would still fit now. */
  remaining: number;
  /** As in {@link HitResult.resetAfterMs}. */
  resetAfterMs: number;
  /** Units counted in the window. */
  used: number;
}

/**
 * Counts calls per identity in a sliding window. `hit` checks and records in one atomic step: no other
 * check for the same identity may run between the two, in this process or in any other replica.
 */
export interface CallerLimitStore {
  hit(identity: Identity, request: HitRequest): Promise<HitResult>;
  /** What `hit` would see, without recording anything: reading a limit must never spend it. */
  peek(identity: Identity, request: PeekRequest): Promise<PeekResult>;
}

/** The store key of an identity; the caller part is encoded so a ':' in it cannot alias another caller. */
export function identityKey({ contextIdentity, fieldIdentity }: Identity): string {
  return `${encodeURIComponent(contextIdentity)}:${fieldIdentity}`;
}
