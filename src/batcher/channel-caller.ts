import type { BudgetDecision, Channel, UpstreamBudget } from '../budget/types.ts';
import { classifyUpstreamError, type UpstreamFailureInfo } from '../clerk/classify.ts';
import type { ChannelPolicy } from './channel-policy.ts';
import type { DispatchObserver, Round } from './dispatch-types.ts';

export type CallResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'no-time' }
  | { kind: 'refused'; decision: Extract<BudgetDecision, { ok: false }> }
  /** `sentAt`: wall-clock epoch ms when the call left. */
  | { kind: 'failed'; info: UpstreamFailureInfo; sentAt: number };

export interface ChannelCallerOptions {
  budget: UpstreamBudget;
  policy: ChannelPolicy;
  bulkPerHour: number;
  /** A call is only started when this much time is left before the round's deadline. */
  upstreamTimeoutMs: number;
  observer?: DispatchObserver;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** Transient failures are retried at most this often, with backoff doubling from 100 ms up to 2 s. */
const MAX_RETRIES = 3;
const backoffMs = (attempt: number) => Math.min(2_000, 100 * 2 ** attempt);
/** How long what a channel's budget last said still shapes the batching window. */
const SCARCITY_MEMORY_MS = 60_000;

/** Clerk sends Retry-After in seconds; without one, a minute is the cautious guess. */
export const retryAfterMs = (info: { retryAfterSeconds?: number | undefined }) => (info.retryAfterSeconds ?? 60) * 1000;

/**
 * Makes single Clerk calls on a channel: the budget, the deadline, retries of what provably sent
 * nothing, and a probe per channel after a start. A process that starts knows nothing of what was
 * spent before it (memory budget), so the first call on a channel goes alone; the others wait for its
 * answer, and a 429 then pauses the channel for all of them instead of each meeting its own 429.
 */
export class ChannelCaller {
  private bulkRemainingShare = 1;
  private singleDry = false;
  private bulkSeenAt = -Infinity;
  private singleSeenAt = -Infinity;
  private readonly dryUntil = new Map<Channel, number>();
  private readonly warm = new Set<Channel>();
  private readonly probes = new Map<Channel, Promise<void>>();

  constructor(private readonly options: ChannelCallerOptions) {}

  /**
   * How much fuller calls should be, 0..1; drives the batching window. Once single creates are spent,
   * every item rides a bulk call, and a bulk call carrying one item wastes nine tenths of it: wait longest.
   * Otherwise the wait grows as the bulk allowance shrinks.
   */
  scarcity(): number {
    // A channel that has not been used for a while may have refilled; forget what it last said.
    const fresh = (seenAt: number) => this.options.now() - seenAt < SCARCITY_MEMORY_MS;
    if (this.singleDry && fresh(this.singleSeenAt) && this.options.policy !== 'single') return 1;
    if (!fresh(this.bulkSeenAt)) return 0;
    // No bulk call is left to fill: waiting for company only delays what singles can carry now.
    if (this.bulkRemainingShare === 0 && this.options.policy === 'auto') return 0;
    return 1 - this.bulkRemainingShare;
  }

  private channels(): Channel[] {
    return this.options.policy === 'auto' ? ['bulk', 'single'] : [this.options.policy];
  }

  /** Epoch ms until which no channel the policy allows can take a call, as last seen; 0: one can. */
  blockedUntil(): number {
    const until = Math.min(...this.channels().map((c) => this.dryUntil.get(c) ?? 0));
    return until > this.options.now() ? until : 0;
  }

  /** Asks the budget (without spending) whether any channel can take a call now; true: none can. */
  async checkBlocked(): Promise<boolean> {
    const now = this.options.now();
    const statuses = await Promise.all(this.channels().map((c) => this.options.budget.status(c))).catch(() => undefined);
    if (!statuses) return false;
    for (const s of statuses) {
      const until = Math.max(s.pausedUntil ?? 0, s.remaining === 0 ? (s.resetAt ?? 0) : 0);
      if (until > now) this.dryUntil.set(s.channel, until);
    }
    return this.blockedUntil() > 0;
  }

  /** True when a wait of `waitMs` still leaves a whole upstream timeout before the deadline. */
  fits(waitMs: number, round: Round): boolean {
    return this.options.now() + waitMs + this.options.upstreamTimeoutMs <= round.deadline;
  }

  /**
   * One upstream call with its budget, deadline and retries. Only failures that prove nothing was
   * created are retried: a refused connection, and a 429 whose Retry-After fits before the deadline.
   */
  async call<T>(channel: Channel, items: number, round: Round, run: () => Promise<T>): Promise<CallResult<T>> {
    for (let attempt = 0; ; attempt++) {
      // While another call probes the channel, wait for its answer; its outcome decides for us.
      while (!this.warm.has(channel) && this.probes.has(channel)) await this.probes.get(channel);
      if (!this.fits(0, round)) return { kind: 'no-time' };
      const endProbe = this.warm.has(channel) ? undefined : this.startProbe(channel);
      let waitMs: number | undefined;
      let result: CallResult<T>;
      try {
        const decision = await this.take(channel);
        if (!decision.ok) {
          if (decision.reason !== 'paused' || attempt >= MAX_RETRIES || !this.fits(decision.retryAfterMs, round)) return { kind: 'refused', decision };
          waitMs = decision.retryAfterMs;
        } else {
          result = await this.attempt(channel, items, run, round.requestIds);
          if (result.kind !== 'failed') return result;
          // Booked before the probe ends, so the calls waiting on it see the pause.
          waitMs = await this.afterTransientFailure(channel, result.info, attempt);
          if (waitMs === undefined || attempt >= MAX_RETRIES || !this.fits(waitMs, round)) return result;
        }
      } finally {
        endProbe?.();
      }
      await this.options.sleep(waitMs);
    }
  }

  private startProbe(channel: Channel): () => void {
    let resolve = () => {};
    this.probes.set(channel, new Promise<void>((r) => (resolve = r)));
    return () => {
      this.probes.delete(channel);
      resolve();
    };
  }

  private async attempt<T>(channel: Channel, items: number, run: () => Promise<T>, requestIds: readonly string[] | undefined): Promise<CallResult<T>> {
    // Wall time, not the budget's clock: it is compared with Clerk's clock, which is measured against
    // wall time (simulations run the budget on a clock of their own).
    const sentAt = Date.now();
    const started = performance.now();
    try {
      const value = await run();
      this.warm.add(channel);
      this.options.observer?.upstreamCall?.({ channel, items, result: 'ok', ms: performance.now() - started, status: 200, requestIds });
      return { kind: 'ok', value };
    } catch (error) {
      const info = classifyUpstreamError(error).info;
      // Clerk answered with a verdict on the items: the channel works and is not out of allowance.
      if (info.kind === 'rejected') this.warm.add(channel);
      // After a 429 the channel is probed again once its pause is over.
      if (info.kind === 'rate-limited') this.warm.delete(channel);
      const status = 'status' in info ? info.status : info.kind === 'rate-limited' ? 429 : undefined;
      const traceId = 'traceId' in info ? info.traceId : undefined;
      this.options.observer?.upstreamCall?.({ channel, items, result: info.kind, ms: performance.now() - started, status, traceId, requestIds });
      return { kind: 'failed', info, sentAt };
    }
  }

  /** Books a transient failure and says how long to wait before trying again; undefined: do not. */
  private async afterTransientFailure(channel: Channel, info: UpstreamFailureInfo, attempt: number): Promise<number | undefined> {
    if (info.kind === 'not-sent') {
      await this.options.budget.refund(channel, 1).catch(() => {});
      return backoffMs(attempt);
    }
    if (info.kind === 'rate-limited') {
      // Someone else spent the allowance: every replica stops using this channel until Clerk says.
      const waitMs = retryAfterMs(info);
      await this.options.budget.pause(channel, this.options.now() + waitMs).catch(() => {});
      return waitMs;
    }
    return undefined;
  }

  private async take(channel: Channel) {
    const decision = await this.options.budget.take(channel, 1);
    const now = this.options.now();
    if (channel === 'bulk') {
      this.bulkRemainingShare = decision.ok ? decision.remaining / this.options.bulkPerHour : 0;
      this.bulkSeenAt = now;
    } else {
      this.singleDry = !decision.ok || decision.remaining === 0;
      this.singleSeenAt = now;
    }
    if (decision.ok) this.dryUntil.delete(channel);
    else if (decision.reason !== 'unavailable') this.dryUntil.set(channel, now + decision.retryAfterMs);
    if (!decision.ok) this.options.observer?.budgetRefused?.({ channel, reason: decision.reason, retryAfterMs: decision.retryAfterMs });
    return decision;
  }
}
