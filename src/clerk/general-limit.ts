import type { CallFamily, GeneralBudget } from '../budget/general.ts';
import type { InvitationParams, InvitationRecord } from '../invitations/types.ts';
import { UpstreamFailure, type UpstreamFailureInfo } from './classify.ts';
import type { ListPage, ListParams, Upstream } from './upstream.ts';

/**
 * The gateway itself refused the call before it reached Clerk: the general allowance is spent, a 429
 * paused the family, or the shared budget store did not answer. Callers read it like any other
 * `UpstreamFailure` ('rate-limited' or 'not-sent': nothing was sent); the subclass lets those that care
 * tell the gateway's refusal from Clerk's.
 */
export class GeneralLimitRefusal extends UpstreamFailure {
  constructor(info: Extract<UpstreamFailureInfo, { kind: 'rate-limited' | 'not-sent' }>) {
    super(info);
    this.name = 'GeneralLimitRefusal';
  }
}

/** Requests each call makes at Clerk: `users.getUserList` sends GET /users and GET /users/count. */
const COST: Record<CallFamily, number> = { list: 1, users: 2, revoke: 1 };

export interface GeneralLimitOptions {
  budget: GeneralBudget;
  /** Pause used when a 429 carries no usable Retry-After: one window of Clerk's limit. @default 10 */
  defaultPauseSeconds?: number;
  /** Epoch ms; the same clock as the budget's. @default Date.now */
  now?: () => number;
  /** Units of the allowance only reconciliation and user lookups may spend. @default 0 */
  settlingReserve?: number;
  /** Told when the budget store failed on a charge or a pause (nothing else to do about it). */
  onStoreError?: (error: unknown, what: string) => void;
}

/**
 * Spends Clerk's general per-instance allowance for every call that is not an invitation create, and
 * shares a 429 of one call family with every replica. Creates are only recorded: their hourly channels
 * already decide whether they go, and they count at Clerk all the same.
 */
export class GeneralLimitedUpstream implements Upstream {
  constructor(
    private readonly inner: Upstream,
    private readonly options: GeneralLimitOptions,
  ) {}

  /** Clerk's clock, as the wrapped client read it from Clerk's answers. */
  get clock() {
    return this.inner.clock;
  }

  /** An organization's calls draw on the same per-instance allowance. */
  forOrganization(organizationId: string): Upstream {
    const inner = this.inner.forOrganization?.(organizationId);
    if (!inner) throw new Error('this Clerk client has no organizations');
    return new GeneralLimitedUpstream(inner, this.options);
  }

  createBulk(items: InvitationParams[]): Promise<InvitationRecord[]> {
    this.charge();
    return this.inner.createBulk(items);
  }

  createOne(item: InvitationParams): Promise<InvitationRecord> {
    this.charge();
    return this.inner.createOne(item);
  }

  /** Reconciliation lookups settle invitations that may exist; other reads wait rather than starve them. */
  list(params: ListParams): Promise<ListPage> {
    return this.spend('list', () => this.inner.list(params), params.purpose === 'reconcile' ? 0 : this.heldForSettling());
  }

  existingUsers(emails: string[]): Promise<Set<string>> {
    return this.spend('users', () => this.inner.existingUsers(emails));
  }

  revoke(id: string): Promise<InvitationRecord> {
    return this.spend('revoke', () => this.inner.revoke(id), this.heldForSettling());
  }

  /**
   * Units that admin reads, revokes and readiness probes leave untouched, so that a burst of them never
   * turns a reconciliation into OUTCOME_UNKNOWN or a user lookup into isolation.
   */
  private heldForSettling(): number {
    return this.options.settlingReserve ?? 0;
  }

  private async spend<T>(family: CallFamily, run: () => Promise<T>, keep = 0): Promise<T> {
    const decision = await this.options.budget.take(family, COST[family], keep);
    if (!decision.ok) {
      const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      if (decision.reason === 'unavailable') {
        throw new GeneralLimitRefusal({ kind: 'not-sent', message: "the gateway's shared Clerk budget did not answer; nothing was sent" });
      }
      const why = decision.reason === 'paused' ? `Clerk asked for a back-off on ${family} calls` : "the gateway's share of Clerk's request allowance is spent";
      throw new GeneralLimitRefusal({ kind: 'rate-limited', retryAfterSeconds, message: `${why}; nothing was sent` });
    }
    try {
      return await run();
    } catch (error) {
      if (error instanceof UpstreamFailure && error.info.kind === 'rate-limited') {
        const seconds = error.info.retryAfterSeconds ?? this.options.defaultPauseSeconds ?? 10;
        await this.options.budget.pause(family, this.now() + seconds * 1000).catch((e) => this.options.onStoreError?.(e, `pause ${family}`));
      }
      throw error;
    }
  }

  /** Not awaited: a create must not wait on (or fail with) the bookkeeping of a limit it does not decide. */
  private charge(): void {
    this.options.budget.charge(1).catch((e) => this.options.onStoreError?.(e, 'charge a create'));
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
