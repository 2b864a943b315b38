import type { BudgetDecision, Channel, UpstreamBudget } from '../budget/types.ts';
import type { UpstreamFailureInfo } from '../clerk/classify.ts';
import type { Upstream } from '../clerk/upstream.ts';
import type { InvitationOutcome, InvitationParams } from '../invitations/types.ts';
import { scrub } from '../logger.ts';
import { attribute, findExistingUsers, isCallLevel, itemFailure } from './attribution.ts';
import { ChannelCaller, retryAfterMs } from './channel-caller.ts';
import { pickChannel, type ChannelPolicy } from './channel-policy.ts';
import type { DispatchObserver, Pending, Results, Round } from './dispatch-types.ts';
import { KnownInvitations } from './evidence.ts';
import { assignCreated, budgetRefused, clerkRateLimited, isolationStopped, noTimeLeft, notSent, outcomeUnknown, userExistsOnBulk } from './outcomes.ts';
import { reconcile, type ReconcileHost } from './reconcile.ts';

export interface DispatcherOptions {
  upstream: Upstream;
  budget: UpstreamBudget;
  policy: ChannelPolicy;
  bulkPerHour: number;
  singlePerHour: number;
  /** A call is only started when this much time is left before the batch's deadline. */
  upstreamTimeoutMs: number;
  observer?: DispatchObserver;
  /** Invitation ids already seen; one per process, shared by every lane, so memory stays bounded. */
  known?: KnownInvitations;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Isolating with single creates goes in waves this wide, so a repeating refusal stops it early. */
const ISOLATION_WAVE = 2;

/**
 * Sends one batch (distinct addresses, at most 10) to Clerk and returns one outcome per item, in
 * order. It never throws: every path ends in a per-item outcome.
 */
export class BatchDispatcher {
  private readonly now: () => number;
  private readonly caller: ChannelCaller;
  /** Invitations this replica has seen, so reconciliation never claims one twice. */
  private readonly known: KnownInvitations;
  /** What reconciliation needs of the dispatcher: lookups, the deadline, and a way to resend. */
  private readonly reconcileHost: ReconcileHost;

  constructor(private readonly options: DispatcherOptions) {
    this.now = options.now ?? Date.now;
    this.known = options.known ?? new KnownInvitations();
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.caller = new ChannelCaller({ ...options, now: this.now, sleep });
    this.reconcileHost = {
      upstream: options.upstream,
      upstreamTimeoutMs: options.upstreamTimeoutMs,
      known: this.known,
      fits: (waitMs, round) => this.caller.fits(waitMs, round),
      sleep,
      resend: (pending, results, round) => this.sendVia(pickChannel(options.policy, pending.length, options), pending, results, round),
      observer: options.observer,
    };
  }

  /** How much fuller calls should be, 0..1; see ChannelCaller.scarcity. */
  scarcity(): number {
    return this.caller.scarcity();
  }

  /** Epoch ms until which nothing can be sent, as last seen; 0 when something can. */
  blockedUntil(): number {
    return this.caller.blockedUntil();
  }

  /** Asks the budget whether nothing can be sent now, so a batch need not wait for company. */
  checkBlocked(): Promise<boolean> {
    return this.caller.checkBlocked();
  }

  /** `requestIds`: the requests the items came from, named in the observer's call events. */
  async send(items: readonly InvitationParams[], deadline = this.now() + 3 * this.options.upstreamTimeoutMs, requestIds?: readonly string[]): Promise<InvitationOutcome[]> {
    const results: Results = new Array(items.length);
    const pending = items.map((params, index) => ({ index, params }));
    try {
      await this.sendVia(pickChannel(this.options.policy, pending.length, this.options), pending, results, { deadline, resending: false, requestIds });
    } catch (error) {
      // Only a bug gets here. Items without a result may already have been sent, so they are not "failed".
      const message = scrub(error instanceof Error ? error.message : String(error));
      pending.forEach((p) => (results[p.index] ??= outcomeUnknown(p.params.emailAddress, { message })));
    }
    results.forEach((r) => r?.kind === 'created' && this.known.add(r.invitation.id));
    return results.map((r, i) => r ?? outcomeUnknown(items[i]!.emailAddress, { message: 'no result was recorded' }));
  }

  /**
   * Settles items of a call that a replica made and could not finish (it died): nothing is sent
   * blind. What exists is reported, and only what provably does not is sent, as after any unknown call.
   */
  async recover(items: readonly InvitationParams[], sentAt: number, deadline: number): Promise<InvitationOutcome[]> {
    const results: Results = new Array(items.length);
    const pending = items.map((params, index) => ({ index, params }));
    const message = 'an earlier attempt with this idempotency key was cut off';
    // The earlier attempt's replica is gone and its calls are long over, so nothing more can land.
    await reconcile(this.reconcileHost, { items: pending, sentAt, finished: true, message }, results, { deadline, resending: false });
    return results.map((r, i) => r ?? outcomeUnknown(items[i]!.emailAddress, { message }));
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
      const call = await this.caller.call('bulk', batch.length, round, () => this.options.upstream.createBulk(batch.map((p) => p.params)));
      if (call.kind === 'ok') return assignCreated(batch, call.value, results);
      if (call.kind === 'no-time') return this.fill(batch, results, (e) => noTimeLeft(e));
      if (call.kind === 'refused') {
        if (mayFallBack && call.decision.reason !== 'unavailable') {
          return this.sendSingles(batch, results, { ...round, fellBackFrom: { channel: 'bulk', decision: call.decision } }, false);
        }
        return this.fill(batch, results, (e) => budgetRefused(e, { channel: 'bulk', decision: call.decision }, round.fellBackFrom));
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
        return this.fill(batch, results, (e) => this.onBulkOnly(batch[0]!, itemFailure(e, unattributed[0], info.traceId)));
      }
      const ask = !round.usersChecked && this.caller.fits(0, round);
      const users = ask ? await findExistingUsers(this.options.upstream, batch, unattributed, info.traceId) : new Map();
      if (ask) round = { ...round, usersChecked: true };
      if (users.size > 0) {
        remaining = batch.filter((_, i) => !users.has(i));
        await this.inviteUsers(batch.filter((_, i) => users.has(i)), results, round, (p) => users.get(batch.indexOf(p))!);
        continue;
      }
      return this.isolate(batch, results, round);
    }
  }

  /**
   * Clerk's bulk endpoint never invites an existing user; its single create does when told to ignore
   * what exists. So `ignoreExisting` items of users go out one by one, and the rest fail USER_EXISTS.
   */
  private async inviteUsers(users: Pending[], results: Results, round: Round, failure: (p: Pending) => InvitationOutcome) {
    const viaSingle = this.options.policy === 'bulk' ? [] : users.filter((p) => p.params.ignoreExisting === true);
    for (const p of users) if (!viaSingle.includes(p)) results[p.index] = this.onBulkOnly(p, failure(p));
    if (viaSingle.length > 0) await this.sendSingles(viaSingle, results, round, false);
  }

  /** A USER_EXISTS for an `ignoreExisting` item says why no channel could invite the user. */
  private onBulkOnly(p: Pending, outcome: InvitationOutcome): InvitationOutcome {
    if (outcome.kind !== 'failed' || outcome.code !== 'USER_EXISTS' || p.params.ignoreExisting !== true) return outcome;
    return userExistsOnBulk(p.params.emailAddress, outcome.clerkTraceId ?? undefined);
  }

  /**
   * Clerk refused the batch without naming the culprit, and no lookup could name it.
   * Singles attribute exactly and cost k/100 of the single hour; bisecting costs up to 2·⌈log2 k⌉ bulk
   * calls (8 for 10 items, a third of the bulk hour), so singles come first when their allowance holds.
   */
  private async isolate(pending: Pending[], results: Results, round: Round): Promise<void> {
    if (this.options.policy !== 'bulk') {
      const single = await this.options.budget.status('single');
      if (single.remaining >= pending.length && !single.pausedUntil) return this.isolateWithSingles(pending, results, round);
    }
    const middle = Math.ceil(pending.length / 2);
    await this.sendBulk(pending.slice(0, middle), results, round, false);
    await this.sendBulk(pending.slice(middle), results, round, false);
  }

  /**
   * Single creates, a wave at a time. When Clerk refuses two items the same way with an error that is
   * not about the address (a rule the gateway's validation does not know), more singles would most
   * likely be spent the same way: the rest are answered retryable instead of sent.
   */
  private async isolateWithSingles(pending: Pending[], results: Results, round: Round): Promise<void> {
    const seen = new Map<string, number>();
    const count = (_p: Pending, clerkCode: string) => seen.set(clerkCode, (seen.get(clerkCode) ?? 0) + 1);
    for (let start = 0; start < pending.length; start += ISOLATION_WAVE) {
      await this.sendSingles(pending.slice(start, start + ISOLATION_WAVE), results, round, false, count);
      const repeated = [...seen].find(([, n]) => n >= 2)?.[0];
      if (repeated) return this.fill(pending.slice(start + ISOLATION_WAVE), results, (e) => isolationStopped(e, repeated));
    }
  }

  /** `onUnexplained` hears of refusals whose error is not about the address (not a user, duplicate or block). */
  private async sendSingles(
    pending: Pending[],
    results: Results,
    round: Round,
    mayFallBack: boolean,
    onUnexplained?: (p: Pending, clerkCode: string) => void,
  ): Promise<void> {
    const refused: Pending[] = [];
    let refusedWith: Extract<BudgetDecision, { ok: false }> | undefined;
    await Promise.all(
      pending.map(async (p) => {
        const email = p.params.emailAddress;
        const call = await this.caller.call('single', 1, round, () => this.options.upstream.createOne(p.params));
        if (call.kind === 'ok') assignCreated([p], [call.value], results);
        else if (call.kind === 'no-time') results[p.index] = noTimeLeft(email);
        else if (call.kind === 'refused') {
          if (mayFallBack && call.decision.reason !== 'unavailable') {
            refused.push(p);
            refusedWith = call.decision;
          }
          else results[p.index] = budgetRefused(email, { channel: 'single', decision: call.decision }, round.fellBackFrom);
        } else if (call.info.kind === 'rejected') {
          const failure = itemFailure(email, call.info.errors[0], call.info.traceId);
          results[p.index] = failure;
          if (failure.code === 'INVALID_INPUT' || failure.code === 'UPSTREAM_ERROR') onUnexplained?.(p, call.info.errors[0]?.code ?? 'none');
        } else await this.settle([p], results, call.info, call.sentAt, round);
      }),
    );
    const decision = refusedWith;
    if (refused.length > 0 && decision) {
      await this.sendBulk(refused.sort((a, b) => a.index - b.index), results, { ...round, fellBackFrom: { channel: 'single', decision } }, false);
    }
  }

  /** Outcomes of a call that was not a plain refusal: 429, never sent, or unknown. */
  private async settle(pending: Pending[], results: Results, info: UpstreamFailureInfo, sentAt: number, round: Round) {
    if (info.kind === 'rate-limited') return this.fill(pending, results, (e) => clerkRateLimited(e, info, retryAfterMs(info)));
    if (info.kind === 'not-sent') return this.fill(pending, results, (e) => notSent(e, info.message));
    if (info.kind !== 'unknown') return;
    const call = { items: pending, sentAt, finished: info.answered === true, answeredAt: info.clerkDate, message: info.message, traceId: info.traceId };
    return reconcile(this.reconcileHost, call, results, round);
  }

  private fill(pending: Pending[], results: Results, make: (email: string) => InvitationOutcome): void {
    for (const p of pending) results[p.index] = make(p.params.emailAddress);
  }
}
