import type { Channel, UpstreamBudget } from '../budget/types.ts';
import { classifyUpstreamError, type UpstreamFailureInfo } from '../clerk/classify.ts';
import type { Upstream } from '../clerk/upstream.ts';
import { emailKey } from '../invitations/validate-item.ts';
import type { InvitationOutcome, InvitationParams, InvitationRecord } from '../invitations/types.ts';
import { attribute, isCallLevel, itemFailure } from './attribution.ts';
import { budgetRefused, clerkRateLimited, notSent, outcomeUnknown } from './outcomes.ts';
import { pickChannel, type ChannelPolicy } from './channel-policy.ts';

/** Hooks for metrics and logs; the dispatcher itself neither counts nor logs. */
export interface DispatchObserver {
  upstreamCall?(channel: Channel, items: number, result: 'ok' | UpstreamFailureInfo['kind'], ms: number, status?: number): void;
  budgetRefused?(channel: Channel, reason: string, retryAfterMs: number): void;
}

export interface DispatcherOptions {
  upstream: Upstream;
  budget: UpstreamBudget;
  policy: ChannelPolicy;
  bulkPerHour: number;
  singlePerHour: number;
  observer?: DispatchObserver;
  now?: () => number;
  /** Settles items whose create may or may not have happened; without it they are OUTCOME_UNKNOWN. */
  reconcile?: (items: Pending[], failure: UpstreamFailureInfo, sentAt: number) => Promise<Map<number, InvitationOutcome>>;
}

/** An item of the batch with its position, so results land in the caller's slot. */
export interface Pending {
  index: number;
  params: InvitationParams;
}

type Results = (InvitationOutcome | undefined)[];

/**
 * Sends one batch (at most 10 distinct addresses) to Clerk and returns one outcome per item, in order.
 * It never throws: every path ends in a per-item outcome.
 */
export class BatchDispatcher {
  /** Remaining share of the bulk allowance as last seen; drives the batching window. */
  private bulkRemainingShare = 1;
  private readonly now: () => number;

  constructor(private readonly options: DispatcherOptions) {
    this.now = options.now ?? Date.now;
  }

  /** 0 when the bulk allowance is untouched, 1 when it is spent. */
  scarcity(): number {
    return 1 - this.bulkRemainingShare;
  }

  async send(items: readonly InvitationParams[]): Promise<InvitationOutcome[]> {
    const results: Results = new Array(items.length);
    const pending = items.map((params, index) => ({ index, params }));
    try {
      const channel = pickChannel(this.options.policy, pending.length, this.options);
      if (channel === 'bulk') await this.sendBulk(pending, results, this.options.policy === 'auto');
      else await this.sendSingles(pending, results, this.options.policy === 'auto');
    } catch (error) {
      // Only a bug gets here. Items without a result may already have been sent, so they are not "failed".
      const message = error instanceof Error ? error.message : String(error);
      pending.forEach((p) => (results[p.index] ??= outcomeUnknown(p.params.emailAddress, { message })));
    }
    return results.map((r, i) => r ?? outcomeUnknown(items[i]!.emailAddress, { message: 'no result was recorded' }));
  }

  private async take(channel: Channel, units: number) {
    const decision = await this.options.budget.take(channel, units);
    if (decision.ok && channel === 'bulk') this.bulkRemainingShare = decision.remaining / this.options.bulkPerHour;
    if (!decision.ok) {
      if (channel === 'bulk') this.bulkRemainingShare = 0;
      this.options.observer?.budgetRefused?.(channel, decision.reason, decision.retryAfterMs);
    }
    return decision;
  }

  private async timed<T>(channel: Channel, items: number, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const value = await run();
      this.options.observer?.upstreamCall?.(channel, items, 'ok', performance.now() - started, 200);
      return value;
    } catch (error) {
      const failure = classifyUpstreamError(error);
      const info = failure.info;
      const status = 'status' in info ? info.status : info.kind === 'rate-limited' ? 429 : undefined;
      this.options.observer?.upstreamCall?.(channel, items, info.kind, performance.now() - started, status);
      throw failure;
    }
  }

  /**
   * Bulk calls are all-or-nothing and name bad items only by value. Items Clerk names are failed and the
   * rest resent; each round removes at least one item, so this loop ends within `pending.length` rounds.
   */
  private async sendBulk(pending: Pending[], results: Results, mayFallBack: boolean): Promise<void> {
    let remaining = pending;
    while (remaining.length > 0) {
      const decision = await this.take('bulk', 1);
      if (!decision.ok) {
        if (mayFallBack && decision.reason !== 'unavailable') return this.sendSingles(remaining, results, false);
        for (const p of remaining) results[p.index] = budgetRefused(p.params.emailAddress, 'bulk', decision);
        return;
      }
      const sentAt = this.now();
      try {
        const created = await this.timed('bulk', remaining.length, () =>
          this.options.upstream.createBulk(remaining.map((p) => p.params)),
        );
        assignCreated(remaining, created, results);
        return;
      } catch (error) {
        const info = classifyUpstreamError(error).info;
        if (info.kind !== 'rejected') return this.settleFailure('bulk', remaining, results, info, sentAt);
        const batchParams = remaining.map((p) => p.params);
        const { named, unattributed } = attribute(info.errors, batchParams, info.traceId);
        if (named.size > 0) {
          named.forEach((failure, i) => (results[remaining[i]!.index] = failure));
          remaining = remaining.filter((_, i) => !named.has(i));
          continue;
        }
        if (remaining.length === 1 || isCallLevel(unattributed)) {
          for (const p of remaining) results[p.index] = itemFailure(p.params.emailAddress, unattributed[0], info.traceId);
          return;
        }
        return this.isolate(remaining, results);
      }
    }
  }

  /**
   * Clerk refused the batch without naming the culprit (an existing user names only `param_name`).
   * Singles attribute exactly and cost k/100 of the single hour; bisecting costs up to 2·⌈log2 k⌉ bulk
   * calls (8 for 10 items, a third of the bulk hour), so singles come first when their allowance holds.
   */
  private async isolate(pending: Pending[], results: Results): Promise<void> {
    if (this.options.policy !== 'bulk') {
      const single = await this.options.budget.status('single');
      if (single.remaining >= pending.length && !single.pausedUntil) return this.sendSingles(pending, results, false);
    }
    const middle = Math.ceil(pending.length / 2);
    await this.sendBulk(pending.slice(0, middle), results, false);
    await this.sendBulk(pending.slice(middle), results, false);
  }

  private async sendSingles(pending: Pending[], results: Results, mayFallBack: boolean): Promise<void> {
    const refused: Pending[] = [];
    await Promise.all(
      pending.map(async (p) => {
        const decision = await this.take('single', 1);
        if (!decision.ok) {
          if (mayFallBack && decision.reason !== 'unavailable') refused.push(p);
          else results[p.index] = budgetRefused(p.params.emailAddress, 'single', decision);
          return;
        }
        const sentAt = this.now();
        try {
          const invitation = await this.timed('single', 1, () => this.options.upstream.createOne(p.params));
          results[p.index] = { kind: 'created', invitation };
        } catch (error) {
          const info = classifyUpstreamError(error).info;
          if (info.kind === 'rejected') results[p.index] = itemFailure(p.params.emailAddress, info.errors[0], info.traceId);
          else await this.settleFailure('single', [p], results, info, sentAt);
        }
      }),
    );
    if (refused.length > 0) await this.sendBulk(refused.sort((a, b) => a.index - b.index), results, false);
  }

  /** Failures other than a plain refusal: 429, not sent, or unknown outcome. */
  private async settleFailure(channel: Channel, pending: Pending[], results: Results, info: UpstreamFailureInfo, sentAt: number) {
    if (info.kind === 'rate-limited') {
      // Someone else spent the allowance: every replica stops using this channel until Clerk says.
      const retryAfterMs = (info.retryAfterSeconds ?? 60) * 1000;
      await this.options.budget.pause(channel, this.now() + retryAfterMs);
      for (const p of pending) results[p.index] = clerkRateLimited(p.params.emailAddress, info, retryAfterMs);
      return;
    }
    if (info.kind === 'not-sent') {
      await this.options.budget.refund(channel, channel === 'bulk' ? 1 : pending.length);
      for (const p of pending) results[p.index] = notSent(p.params.emailAddress, info.message);
      return;
    }
    if (info.kind === 'unknown' && this.options.reconcile) {
      const settled = await this.options.reconcile(pending, info, sentAt);
      settled.forEach((outcome, index) => (results[index] = outcome));
    }
    const traceId = 'traceId' in info ? info.traceId : undefined;
    for (const p of pending) results[p.index] ??= outcomeUnknown(p.params.emailAddress, { message: info.message, traceId });
  }
}

/** Clerk answers in input order, but matching by address keeps a reordered answer from crossing callers. */
function assignCreated(pending: Pending[], created: InvitationRecord[], results: Results) {
  const byEmail = new Map(created.map((inv) => [emailKey(inv.emailAddress), inv]));
  pending.forEach((p, i) => {
    const invitation = byEmail.get(emailKey(p.params.emailAddress)) ?? created[i]!;
    results[p.index] = { kind: 'created', invitation };
  });
}
