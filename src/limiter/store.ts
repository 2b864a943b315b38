import type { Identity } from 'graphql-rate-limit';

export type { Identity };

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
}

/**
 * Counts calls per identity in a sliding window. `hit` checks and records in one atomic step: no other
 * check for the same identity may run between the two, in this process or in any other replica.
 */
export interface CallerLimitStore {
  hit(identity: Identity, request: HitRequest): Promise<HitResult>;
}

/** The store key of an identity; the caller part is encoded so a ':' in it cannot alias another caller. */
export function identityKey({ contextIdentity, fieldIdentity }: Identity): string {
  return `${encodeURIComponent(contextIdentity)}:${fieldIdentity}`;
}
