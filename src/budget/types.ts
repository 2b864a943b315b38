/** The two upstream channels, each with its own hourly allowance at Clerk (per budget window). */
export type Channel = 'bulk' | 'single';

export type BudgetDecision =
  | { ok: true; remaining: number }
  /** `retryAfterMs` is the time until this channel admits the same spend again. */
  | { ok: false; retryAfterMs: number; reason: 'spent' | 'paused' | 'unavailable' };

export interface ChannelStatus {
  channel: Channel;
  limit: number;
  remaining: number;
  /** How long each spend is counted: the budget window (an hour unless configured) plus its margin. */
  windowMs: number;
  /** When the oldest spend in the window leaves it (a call is admitted again), or null when nothing is spent. */
  resetAt: number | null;
  /** Set while Clerk asked us to back off (a 429 with Retry-After). */
  pausedUntil: number | null;
  /** The shared store did not answer: `remaining` is then 0, since nothing can be taken. */
  unavailable?: true;
}

/**
 * Clerk's hourly allowance per channel for one Clerk instance, counted over the budget window. Implementations are atomic: two
 * replicas calling `take` at once never both get the last unit.
 */
export interface UpstreamBudget {
  /** Atomically spend `units` calls of `channel` if all of them fit; otherwise spend nothing. */
  take(channel: Channel, units: number): Promise<BudgetDecision>;
  /** Give back units taken for calls that were never sent. */
  refund(channel: Channel, units: number): Promise<void>;
  /** Stop spending on `channel` until `untilMs` (Clerk answered 429), for every replica. */
  pause(channel: Channel, untilMs: number): Promise<void>;
  status(channel: Channel): Promise<ChannelStatus>;
  close(): Promise<void>;
}
