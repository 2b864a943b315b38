import type { Family, FamilyLane } from '../batcher/families.ts';
import { outcomeUnknown } from '../batcher/outcomes.ts';
import type { InvitationOutcome } from '../invitations/types.ts';
import type { Logger } from '../logger.ts';
import type { JobStore } from './job-store.ts';
import { isUnknown, MAX_GIVE_BACKS, MAX_RECHECKS, unsent } from './outcomes.ts';
import { familyKey } from './family-key.ts';
import type { ClaimedItem, JobMeta } from './types.ts';

export interface RunnerHost {
  store: JobStore;
  lane(family: Family): FamilyLane;
  /** Tells watchers the job moved (after every settled call). */
  publish(meta: JobMeta): void;
  /**
   * How long after its mark an item in flight under a dead replica's mark is surely answered or
   * abandoned there: the request timeout, the batcher's backstop and one more upstream call.
   */
  orphanAfterMs: number;
  logger: Logger;
  onSettled?: (outcomes: InvitationOutcome[]) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const POLL_MS = 1_000;
const STORE_RETRY_MS = 1_000;

/**
 * One job being drained by this replica: it claims items for the feeder, records their outcomes,
 * gives back what was not sent, and first settles by evidence what a dead replica left in flight.
 * `done` resolves 'finished' once nothing is pending, or 'stopped' once stopped with nothing in flight.
 */
export class JobRunner {
  readonly id: string;
  readonly owner: string;
  readonly family: Family;
  readonly familyKey: string;
  /** No claimable item was left at the last claim; reopened when an item is given back. */
  exhausted = false;
  private inFlight = 0;
  private recovering = true;
  private stopping = false;
  private readonly giveBacks = new Map<number, number>();
  /** Items whose outcome was unknown, by index: how often they were looked up again, and the timer of the next look. */
  private readonly rechecks = new Map<number, number>();
  private readonly recheckTimers = new Map<NodeJS.Timeout, ClaimedItem[]>();
  private readonly buffered: Array<{ item: ClaimedItem; outcome: InvitationOutcome }> = [];
  private flushing: Promise<void> | undefined;
  private resolveDone!: (how: 'finished' | 'stopped') => void;
  readonly done = new Promise<'finished' | 'stopped'>((resolve) => (this.resolveDone = resolve));
  private ended = false;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(meta: JobMeta, private readonly mark: string, private readonly host: RunnerHost) {
    this.id = meta.id;
    this.owner = meta.owner;
    this.family = meta.family;
    this.familyKey = familyKey(meta.family);
    this.now = host.now ?? Date.now;
    this.sleep = host.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Whether the feeder may ask this job for items now. */
  get wantsWork(): boolean {
    return !this.recovering && !this.stopping && !this.exhausted && !this.ended;
  }

  /** Settles what a dead replica left in flight, then watches the job until it ends. */
  start(): void {
    void this.recoverOrphans()
      .catch((err: unknown) => this.host.logger.warn({ err: { message: String(err) }, job: this.id }, 'queue: could not settle items left in flight'))
      .finally(() => {
        this.recovering = false;
        void this.watch();
      });
  }

  async take(n: number): Promise<ClaimedItem[]> {
    if (!this.wantsWork) return [];
    const items = await this.host.store.claim(this.id, n, this.mark, this.now());
    if (items.length < n) this.exhausted = true;
    this.inFlight += items.length;
    return items;
  }

  /** One item's answer; answers of one call arrive together and are stored and published together. */
  deliver(item: ClaimedItem, outcome: InvitationOutcome): void {
    this.buffered.push({ item, outcome });
    if (this.buffered.length === 1) setImmediate(() => void this.flush());
  }

  /** Hands items back unsent (shutdown): they stay pending for whichever replica drains next. */
  async handBack(items: ClaimedItem[]): Promise<void> {
    if (items.length === 0) return;
    const given = await this.host.store.giveBack(this.id, items.map((i) => ({ index: i.index, emailAddress: i.params.emailAddress })), this.mark, this.now());
    this.inFlight -= items.length;
    if (given.meta) this.host.publish(given.meta);
    this.check(given.meta);
  }

  /**
   * Items waiting to be looked up again stay marked: to the next replica that runs the job they are a
   * stopped replica's items in flight, which it settles by the same lookups (see recoverOrphans).
   */
  stop(): void {
    this.stopping = true;
    for (const [timer, items] of this.recheckTimers) {
      clearTimeout(timer);
      this.inFlight -= items.length;
    }
    this.recheckTimers.clear();
    this.check(undefined);
  }

  private async flush(): Promise<void> {
    // One store call at a time per job keeps outcomes in order and counts exact.
    while (this.flushing) await this.flushing;
    const batch = this.buffered.splice(0);
    if (batch.length === 0) return;
    this.flushing = this.store(batch).finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async store(batch: Array<{ item: ClaimedItem; outcome: InvitationOutcome }>): Promise<void> {
    const settle: Array<{ index: number; outcome: InvitationOutcome }> = [];
    const back: Array<{ index: number; emailAddress: string }> = [];
    const recheck: ClaimedItem[] = [];
    for (const { item, outcome } of batch) {
      const looks = this.rechecks.get(item.index) ?? 0;
      if (isUnknown(outcome) && looks < MAX_RECHECKS && !this.stopping) {
        this.rechecks.set(item.index, looks + 1);
        recheck.push(item);
        continue;
      }
      this.rechecks.delete(item.index);
      const why = unsent(outcome);
      const tries = this.giveBacks.get(item.index) ?? 0;
      if (why === 'budget' || (why === 'transient' && tries < MAX_GIVE_BACKS)) {
        this.giveBacks.set(item.index, tries + 1);
        back.push({ index: item.index, emailAddress: item.params.emailAddress });
      } else {
        this.giveBacks.delete(item.index);
        settle.push({ index: item.index, outcome });
      }
    }
    if (recheck.length > 0) this.recheckLater(recheck);
    let meta: JobMeta | undefined;
    try {
      const now = this.now();
      if (back.length > 0) meta = (await this.host.store.giveBack(this.id, back, this.mark, now)).meta;
      if (settle.length > 0) {
        const settled = await this.host.store.settle(this.id, settle, this.mark, now);
        meta = settled.meta;
        if (settled.accepted) this.host.onSettled?.(settle.map((s) => s.outcome));
      }
    } catch (err) {
      // The store did not answer: the items stay marked and their outcomes are tried again shortly (a
      // store call that did land only finds its marks gone the second time, and changes nothing).
      this.host.logger.warn({ err: { message: String(err) }, job: this.id }, 'queue: could not record outcomes; retrying');
      this.buffered.unshift(...batch.filter(({ item }) => !recheck.includes(item)));
      setTimeout(() => void this.flush(), STORE_RETRY_MS);
      return;
    }
    if (back.length > 0) this.exhausted = false;
    this.inFlight -= batch.length - recheck.length;
    if (meta) this.host.publish(meta);
    this.check(meta);
  }

  /**
   * A queued item has time that a request has not: when Clerk's answer was lost (an edge page, a cut
   * connection) and the lookups could not tell, the item stays marked and is looked up again once any
   * call for it is surely over, then sent only if provably absent: the rules of a stopped replica's
   * items. Each look waits twice as long as the last; after MAX_RECHECKS the outcome stands.
   */
  private recheckLater(items: ClaimedItem[]): void {
    const looks = Math.max(...items.map((item) => this.rechecks.get(item.index) ?? 1));
    const timer = setTimeout(() => {
      this.recheckTimers.delete(timer);
      void this.recheck(items);
    }, this.host.orphanAfterMs * 2 ** (looks - 1));
    this.recheckTimers.set(timer, items);
  }

  private async recheck(items: ClaimedItem[]): Promise<void> {
    // A cancelled job sends nothing more, and a look may send what it finds absent: the outcome stands.
    const meta = await this.host.store.meta(this.id).catch(() => undefined);
    if (meta?.state === 'CANCELLED') {
      for (const item of items) this.rechecks.set(item.index, MAX_RECHECKS);
      const why = { message: 'the job was cancelled before it could be looked up again' };
      return items.forEach((item) => this.deliver(item, outcomeUnknown(item.params.emailAddress, why)));
    }
    // A replica that stalled may have lost these to another one meanwhile; only the holder looks.
    const held = await this.host.store.holding(this.id, items.map((item) => item.index), this.mark).catch(() => undefined);
    if (!held) {
      // The store did not answer: no look without knowing who holds the items; this counts as one.
      const why = { message: 'the queue could not tell whether this replica still held the item' };
      return items.forEach((item) => this.deliver(item, outcomeUnknown(item.params.emailAddress, why)));
    }
    const heldIndexes = new Set(held);
    const lost = items.filter((item) => !heldIndexes.has(item.index));
    if (lost.length > 0) {
      this.inFlight -= lost.length;
      for (const item of lost) this.rechecks.delete(item.index);
      items = items.filter((item) => heldIndexes.has(item.index));
      if (items.length === 0) return this.check(undefined);
    }
    const since = Math.min(...items.map((item) => item.claimedAt));
    const outcomes = await this.host
      .lane(this.family)
      .recover(items.map((item) => item.params), since)
      .catch((err: unknown) => items.map((item) => outcomeUnknown(item.params.emailAddress, { message: String(err) })));
    items.forEach((item, i) => this.deliver(item, outcomes[i]!));
  }

  private check(meta: JobMeta | undefined): void {
    if (this.ended || this.inFlight > 0 || this.recovering || this.buffered.length > 0) return;
    if (meta?.finishedAt != null) this.end('finished');
    else if (this.stopping) this.end('stopped');
  }

  private end(how: 'finished' | 'stopped') {
    this.ended = true;
    this.resolveDone(how);
  }

  /** A job can end without this replica's doing (a cancel on another replica); look now and then. */
  private async watch(): Promise<void> {
    while (!this.ended) {
      if (this.inFlight === 0 && this.buffered.length === 0) {
        const meta = await this.host.store.meta(this.id).catch(() => undefined);
        if (!meta) return this.end('finished');
        this.check(meta);
        if (!this.ended && meta.finishedAt === null) this.exhausted = false;
      }
      await this.sleep(POLL_MS);
    }
  }

  /**
   * Items marked by a replica that is gone may have been sent. Once their call is surely over they are
   * taken over and settled through the lane's recovery: looked up, reported when found, and sent only
   * when provably absent, the same evidence rules as an idempotent retry after a cut-off request.
   */
  private async recoverOrphans(): Promise<void> {
    const orphans = await this.host.store.orphans(this.id, this.mark);
    if (orphans.length === 0) return;
    const latest = Math.max(...orphans.map((o) => o.claimedAt));
    const waitMs = latest + this.host.orphanAfterMs - this.now();
    if (waitMs > 0) await this.sleep(waitMs);
    const mine = await this.host.store.adopt(this.id, orphans, this.mark);
    if (mine.length === 0) return;
    this.inFlight += mine.length;
    const since = Math.min(...mine.map((o) => o.claimedAt));
    const outcomes = await this.host.lane(this.family).recover(mine.map((o) => o.params), since);
    this.host.logger.info({ job: this.id, items: mine.length }, 'queue: settled items a stopped replica left in flight');
    mine.forEach((item, i) => this.deliver(item, outcomes[i]!));
  }
}
