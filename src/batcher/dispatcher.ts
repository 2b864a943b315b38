import type { BudgetDecision, Channel, UpstreamBudget } from '../budget/types.ts';
import { classifyUpstreamError, type UpstreamFailureInfo } from '../clerk/classify.ts';
import type { Upstream } from '../clerk/upstream.ts';
import type { InvitationOutcome, InvitationParams } from '../invitations/types.ts';
import { attribute, findExistingUsers, isCallLevel, itemFailure } from './attribution.ts';
import { pickChannel, type ChannelPolicy } from './channel-policy.ts';
import { assignCreated, budgetRefused, clerkRateLimited, noTimeLeft, notSent, outcomeUnknown } from './outcomes.ts';
import { reconcile, type ReconcileHost } from './reconcile.ts';
import { scrub } from '../logger.ts';

/** Hooks for metrics and logs; the dispatcher itself neither counts nor logs. */
export interface DispatchObserver {
  upstreamCall?(channel: Channel, items: number, result: 'ok' | UpstreamFailureInfo['kind'], ms: number, status?: number, traceId?: string): void;
  budgetRefused?(channel: Channel, reason: string, retryAfterMs: number): void;
  reconciled?(found: number, resent: number, unknown: number): void;
}

export interface DispatcherOptions {
  upstream: Upstream;
  budget: UpstreamBudget;
  policy: ChannelPolicy;
  bulkPerHour: number;
  singlePerHour: number;
  /** A call is only started when this much time is left before the batch's deadline. */
  upstreamTimeoutMs: number;
  observer?: DispatchObserver;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** An item of the batch with its position, so results land in the caller's slot. */
export interface Pending {
  index: number;
  params: InvitationParams;
}

export type Results = (InvitationOutcome | undefined)[];

export interface Round {
  /** Epoch ms by which every item must have its answer. */
  deadline: number;
  /** Set while resending after an unknown outcome: a second unknown is not resent again. */
  resending: boolean;
  /** Clerk's user list was already asked about these items; splitting them does not ask again. */
  usersChecked?: boolean;
}

type CallResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'no-time' }
  | { kind: 'refused'; decision: Extract<BudgetDecision, { ok: false }> }
  | { kind: 'failed'; info: UpstreamFailureInfo; sentAt: number };

/** Transient failures are retried at most this often, with backoff doubling from 100 ms up to 2 s. */
const MAX_RETRIES = 3;
const backoffMs = (attempt: number) => Math.min(2_000, 100 * 2 ** attempt);
/** How long what a channel's budget last said still shapes the batching window. */
const SCARCITY_MEMORY_MS = 60_000;

/**
 * Sends one batch (distinct addresses, at most 10) to Clerk and returns one outcome per item, in
 * order. It never throws: every path ends in a per-item outcome.
 */
export class BatchDispatcher {
  private bulkRemainingShare = 1;
  private singleDry = false;
  private bulkSeenAt = -Infinity;
  private singleSeenAt = -Infinity;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  /** What reconciliation needs of the dispatcher: lookups, the deadline, and a way to resend. */
  private readonly reconcileHost: ReconcileHost;

  constructor(private readonly options: DispatcherOptions) {
    this.reconcileHost = {
      upstream: options.upstream,
      upstreamTimeoutMs: options.upstreamTimeoutMs,
      fits: (waitMs, round) => this.fits(waitMs, round),
      sleep: (ms) => this.sleep(ms),
      resend: (pending, results, round) => this.sendVia(pickChannel(options.policy, pending.length, options), pending, results, round),
      observer: options.observer,
    };
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * How much fuller calls should be, 0..1; drives the batching window. Once single creates are spent,
   * every item rides a bulk call, and a bulk call carrying one item wastes nine tenths of it: wait longest.
   * Otherwise the wait grows as the bulk allowance shrinks.
   */
  scarcity(): number {
    // A channel that has not been used for a while may have refilled; forget what it last said.
    const fresh = (seenAt: number) => this.now() - seenAt < SCARCITY_MEMORY_MS;
    if (this.singleDry && fresh(this.singleSeenAt) && this.options.policy !== 'single') return 1;
    return fresh(this.bulkSeenAt) ? 1 - this.bulkRemainingShare : 0;
  }

  async send(items: readonly InvitationParams[], deadline = this.now() + 3 * this.options.upstreamTimeoutMs): Promise<InvitationOutcome[]> {
    const results: Results = new Array(items.length);
    const pending = items.map((params, index) => ({ index, params }));
    try {
      await this.sendVia(pickChannel(this.options.policy, pending.length, this.options), pending, results, { deadline, resending: false });
    } catch (error) {
      // Only a bug gets here. Items without a result may already have been sent, so they are not "failed".
      const message = scrub(error instanceof Error ? error.message : String(error));
      pending.forEach((p) => (results[p.index] ??= outcomeUnknown(p.params.emailAddress, { message })));
    }
    return results.map((r, i) => r ?? outcomeUnknown(items[i]!.emailAddress, { message: 'no result was recorded' }));
  }

  private sendVia(channel: Channel, pending: Pending[], results: Results, round: Round): Promise<void> {
    const auto = this.options.policy === 'auto';
    return channel === 'bulk' ? this.sendBulk(pending, results, round, auto) : this.sendSingles(pending, results, round, auto);
  }

  /**
   * Bulk calls are all-or-nothing and name bad items only by value. Named items are failed and the
   * rest resent; each round removes at least one item, so the loop ends within `pending.length` rounds.
   */
  private async sendBulk(pending: Pending[], results: Results, round: Round, mayFallBack: boolean): Promise<void> {
    let remaining = pending;
    while (remaining.length > 0) {
      const batch = remaining;
      const call = await this.call('bulk', batch.length, round, () => this.options.upstream.createBulk(batch.map((p) => p.params)));
      if (call.kind === 'ok') return assignCreated(batch, call.value, results);
      if (call.kind === 'no-time') return this.fill(batch, results, (e) => noTimeLeft(e));
      if (call.kind === 'refused') {
        if (mayFallBack && call.decision.reason !== 'unavailable') return this.sendSingles(batch, results, round, false);
        return this.fill(batch, results, (e) => budgetRefused(e, 'bulk', call.decision));
      }
      const { info } = call;
      if (info.kind !== 'rejected') return this.settle(batch, results, info, call.sentAt, round);
      const { named, unattributed } = attribute(info.errors, batch.map((p) => p.params), info.traceId);
      if (named.size > 0) {
        named.forEach((failure, i) => (results[batch[i]!.index] = failure));
        remaining = batch.filter((_, i) => !named.has(i));
        continue;
      }
      if (batch.length === 1 || isCallLevel(unattributed)) {
        return this.fill(batch, results, (e) => itemFailure(e, unattributed[0], info.traceId));
      }
      const ask = !round.usersChecked && this.fits(0, round);
      const users = ask ? await findExistingUsers(this.options.upstream, batch, unattributed, info.traceId) : new Map();
      if (ask) round = { ...round, usersChecked: true };
      if (users.size > 0) {
        users.forEach((failure, i) => (results[batch[i]!.index] = failure));
        remaining = batch.filter((_, i) => !users.has(i));
        continue;
      }
      return this.isolate(batch, results, round);
    }
  }

  /**
   * Clerk refused the batch without naming the culprit, and no lookup could name it.
   * Singles attribute exactly and cost k/100 of the single hour; bisecting costs up to 2·⌈log2 k⌉ bulk
   * calls (8 for 10 items, a third of the bulk hour), so singles come first when their allowance holds.
   */
  private async isolate(pending: Pending[], results: Results, round: Round): Promise<void> {
    if (this.options.policy !== 'bulk') {
      const single = await this.options.budget.status('single');
      if (single.remaining >= pending.length && !single.pausedUntil) return this.sendSingles(pending, results, round, false);
    }
    const middle = Math.ceil(pending.length / 2);
    await this.sendBulk(pending.slice(0, middle), results, round, false);
    await this.sendBulk(pending.slice(middle), results, round, false);
  }

  private async sendSingles(pending: Pending[], results: Results, round: Round, mayFallBack: boolean): Promise<void> {
    const refused: Pending[] = [];
    await Promise.all(
      pending.map(async (p) => {
        const email = p.params.emailAddress;
        const call = await this.call('single', 1, round, () => this.options.upstream.createOne(p.params));
        if (call.kind === 'ok') results[p.index] = { kind: 'created', invitation: call.value };
        else if (call.kind === 'no-time') results[p.index] = noTimeLeft(email);
        else if (call.kind === 'refused') {
          if (mayFallBack && call.decision.reason !== 'unavailable') refused.push(p);
          else results[p.index] = budgetRefused(email, 'single', call.decision);
        } else if (call.info.kind === 'rejected') {
          results[p.index] = itemFailure(email, call.info.errors[0], call.info.traceId);
        } else await this.settle([p], results, call.info, call.sentAt, round);
      }),
    );
    if (refused.length > 0) await this.sendBulk(refused.sort((a, b) => a.index - b.index), results, round, false);
  }

  /**
   * One upstream call with its budget, deadline and retries. Only failures that prove nothing was
   * created are retried: a refused connection, and a 429 whose Retry-After fits before the deadline.
   */
  private async call<T>(channel: Channel, items: number, round: Round, run: () => Promise<T>): Promise<CallResult<T>> {
    for (let attempt = 0; ; attempt++) {
      if (!this.fits(0, round)) return { kind: 'no-time' };
      const decision = await this.take(channel);
      if (!decision.ok) {
        if (decision.reason === 'paused' && attempt < MAX_RETRIES && this.fits(decision.retryAfterMs, round)) {
          await this.sleep(decision.retryAfterMs);
          continue;
        }
        return { kind: 'refused', decision };
      }
      const sentAt = this.now();
      const started = performance.now();
      try {
        const value = await run();
        this.options.observer?.upstreamCall?.(channel, items, 'ok', performance.now() - started, 200);
        return { kind: 'ok', value };
      } catch (error) {
        const info = classifyUpstreamError(error).info;
        const status = 'status' in info ? info.status : info.kind === 'rate-limited' ? 429 : undefined;
        this.options.observer?.upstreamCall?.(channel, items, info.kind, performance.now() - started, status, 'traceId' in info ? info.traceId : undefined);
        const waitMs = await this.afterTransientFailure(channel, info, attempt);
        if (waitMs !== undefined && attempt < MAX_RETRIES && this.fits(waitMs, round)) {
          await this.sleep(waitMs);
          continue;
        }
        return { kind: 'failed', info, sentAt };
      }
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
      await this.options.budget.pause(channel, this.now() + waitMs).catch(() => {});
      return waitMs;
    }
    return undefined;
  }

  /** True when a wait of `waitMs` still leaves a whole upstream timeout before the deadline. */
  private fits(waitMs: number, round: Round): boolean {
    return this.now() + waitMs + this.options.upstreamTimeoutMs <= round.deadline;
  }

  private async take(channel: Channel) {
    const decision = await this.options.budget.take(channel, 1);
    if (channel === 'bulk') {
      this.bulkRemainingShare = decision.ok ? decision.remaining / this.options.bulkPerHour : 0;
      this.bulkSeenAt = this.now();
    } else {
      this.singleDry = !decision.ok || decision.remaining === 0;
      this.singleSeenAt = this.now();
    }
    if (!decision.ok) this.options.observer?.budgetRefused?.(channel, decision.reason, decision.retryAfterMs);
    return decision;
  }

  /** Outcomes of a call that was not a plain refusal: 429, never sent, or unknown. */
  private async settle(pending: Pending[], results: Results, info: UpstreamFailureInfo, sentAt: number, round: Round) {
    if (info.kind === 'rate-limited') return this.fill(pending, results, (e) => clerkRateLimited(e, info, retryAfterMs(info)));
    if (info.kind === 'not-sent') return this.fill(pending, results, (e) => notSent(e, info.message));
    if (info.kind === 'unknown') return reconcile(this.reconcileHost, pending, results, info, sentAt, round);
  }

  private fill(pending: Pending[], results: Results, make: (email: string) => InvitationOutcome): void {
    for (const p of pending) results[p.index] = make(p.params.emailAddress);
  }
}

/** Clerk sends Retry-After in seconds; without one, a minute is the cautious guess. */
const retryAfterMs = (info: { retryAfterSeconds?: number | undefined }) => (info.retryAfterSeconds ?? 60) * 1000;
