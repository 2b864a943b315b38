import { MAX_BULK_ITEMS } from '../batcher/batcher.ts';
import { pickChannel, type ChannelPolicy } from '../batcher/channel-policy.ts';
import type { Family, FamilyLane } from '../batcher/families.ts';
import type { UpstreamBudget } from '../budget/types.ts';
import type { Logger } from '../logger.ts';
import type { JobRunner } from './job-runner.ts';
import type { ClaimedItem } from './types.ts';

export interface FeederOptions {
  lane(family: Family): FamilyLane;
  budget(family: Family): UpstreamBudget;
  limits(family: Family): { bulkPerHour: number; singlePerHour: number };
  policy: ChannelPolicy;
  /** How long a part-filled bulk call waits for more queued items before it leaves anyway. */
  fillWaitMs: number;
  /** The budgets' clock (pauses and resets are on it). */
  now(): number;
  logger: Logger;
}

/** Calls' worth of queued items this replica has handed to a lane and not yet seen answered. */
const MAX_CALLS_IN_FLIGHT = 2;
const IDLE_MS = 1_000;

interface FamilyState {
  family: Family;
  /** Items fed and not yet answered. */
  fed: number;
  calls: { bulk: number; single: number };
  /** Claimed items waiting for company to fill a bulk call. */
  partial: Array<{ runner: JobRunner; item: ClaimedItem }>;
  partialSince: number;
  /** Rotates which owner is asked first, so a remainder smaller than the owners is shared over rounds. */
  turn: number;
  wake: () => void;
}

/**
 * Feeds queued items into the lanes' batchers, the same ones synchronous requests use, one call's
 * worth at a time and only when the family's budget can take that call: full bulk calls while bulk
 * calls are left, then as many single creates as the single allowance holds. Items are taken from
 * the owners with work round-robin, so one owner's 5,000 items never starve another's 5. Synchronous
 * items already waiting in the lane go first: the feeder waits until they have left.
 */
export class FairFeeder {
  private readonly runners = new Map<string, JobRunner>();
  private readonly families = new Map<string, FamilyState>();
  private stopped = false;
  private readonly loops = new Set<Promise<void>>();

  constructor(private readonly options: FeederOptions) {}

  add(runner: JobRunner): void {
    this.runners.set(runner.id, runner);
    const state = this.families.get(runner.familyKey);
    if (state) return state.wake();
    const fresh: FamilyState = { family: runner.family, fed: 0, calls: { bulk: 0, single: 0 }, partial: [], partialSince: 0, turn: 0, wake: () => {} };
    this.families.set(runner.familyKey, fresh);
    const loop = this.loop(runner.familyKey, fresh)
      .catch((err: unknown) => this.options.logger.error({ err: { message: String(err) } }, 'queue: feeder stopped'))
      .finally(() => this.loops.delete(loop));
    this.loops.add(loop);
  }

  remove(runner: JobRunner): void {
    this.runners.delete(runner.id);
    this.families.get(runner.familyKey)?.wake();
  }

  /** Nudges every family loop: an item was given back, a job added or ended. */
  wakeAll(): void {
    for (const state of this.families.values()) state.wake();
  }

  /** Stops feeding; items waiting for company are handed back unsent. Resolves when every loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const state of this.families.values()) state.wake();
    await Promise.allSettled([...this.loops]);
  }

  private handBackPartial(state: FamilyState): Promise<void>[] {
    const byRunner = new Map<JobRunner, ClaimedItem[]>();
    for (const { runner, item } of state.partial.splice(0)) byRunner.set(runner, [...(byRunner.get(runner) ?? []), item]);
    return [...byRunner].map(([runner, items]) => runner.handBack(items));
  }

  private sleep(state: FamilyState, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      state.wake = done;
    });
  }

  private async loop(key: string, state: FamilyState): Promise<void> {
    while (!this.stopped) {
      const runners = [...this.runners.values()].filter((r) => r.familyKey === key);
      if (runners.length === 0 && state.partial.length === 0 && state.fed === 0) {
        this.families.delete(key);
        return;
      }
      const lane = this.options.lane(state.family);
      const waitMs = await this.step(state, runners, lane);
      if (waitMs > 0) await this.sleep(state, waitMs);
    }
    await Promise.allSettled(this.handBackPartial(state));
    this.families.delete(key);
  }

  /** One round: feeds one call's worth when it can; answers how long to wait before the next round. */
  private async step(state: FamilyState, runners: JobRunner[], lane: FamilyLane): Promise<number> {
    if (state.calls.bulk + state.calls.single >= MAX_CALLS_IN_FLIGHT) return IDLE_MS;
    // Synchronous requests have deadlines; queued items have none and let them go first.
    if (lane.batcher.pending - state.fed > 0) return 20;
    const working = runners.filter((r) => r.wantsWork);
    if (working.length === 0 && state.partial.length === 0) return IDLE_MS;
    const room = await this.room(state);
    if (room.items === 0) return room.waitMs;
    const want = Math.max(0, room.items - state.partial.length);
    if (want > 0 && working.length > 0) {
      for (const claimed of await this.claimFairly(state, working, want)) state.partial.push(claimed);
    }
    if (state.partial.length === 0) return IDLE_MS;
    if (state.partialSince === 0) state.partialSince = Date.now();
    // A bulk call leaves full, or part-filled once nothing more came within the fill wait.
    const waited = Date.now() - state.partialSince;
    if (state.partial.length < room.items && room.channel === 'bulk' && waited < this.options.fillWaitMs) {
      return Math.min(200, this.options.fillWaitMs - waited);
    }
    this.feed(state, lane, state.partial.splice(0, room.items), room.channel);
    state.partialSince = state.partial.length > 0 ? Date.now() : 0;
    return 0;
  }

  /**
   * What the family's budget can take now, less what this replica already fed: a full bulk call, or
   * single creates (at most as many as the cost rule still sends one by one), or nothing yet.
   */
  private async room(state: FamilyState): Promise<{ items: number; channel: 'bulk' | 'single'; waitMs: number }> {
    const { policy } = this.options;
    const budget = this.options.budget(state.family);
    const limits = this.options.limits(state.family);
    const now = this.options.now();
    const [bulk, single] = await Promise.all([budget.status('bulk'), budget.status('single')]);
    const open = (s: typeof bulk, taken: number) => !s.unavailable && !(s.pausedUntil && s.pausedUntil > now) && s.remaining - taken > 0;
    if (policy !== 'single' && open(bulk, state.calls.bulk)) return { items: MAX_BULK_ITEMS, channel: 'bulk', waitMs: 0 };
    if (policy !== 'bulk' && open(single, state.calls.single)) {
      let most = 1;
      while (most < MAX_BULK_ITEMS && pickChannel(policy, most + 1, limits) === 'single') most++;
      if (policy === 'single') most = MAX_BULK_ITEMS;
      return { items: Math.min(most, single.remaining - state.calls.single), channel: 'single', waitMs: 0 };
    }
    const until = (s: typeof bulk) => Math.max(s.pausedUntil ?? 0, s.remaining <= 0 ? (s.resetAt ?? 0) : 0);
    const next = Math.min(...[bulk, single].map(until).filter((t) => t > now), now + IDLE_MS);
    return { items: 0, channel: 'bulk', waitMs: Math.max(50, Math.min(IDLE_MS, next - now)) };
  }

  /** Shares `n` items among the owners with work, one at a time round-robin, then claims each share from that owner's jobs, oldest first. */
  private async claimFairly(state: FamilyState, runners: JobRunner[], n: number): Promise<Array<{ runner: JobRunner; item: ClaimedItem }>> {
    const byOwner = new Map<string, JobRunner[]>();
    for (const r of runners) byOwner.set(r.owner, [...(byOwner.get(r.owner) ?? []), r]);
    const owners = [...byOwner.keys()];
    const start = state.turn++ % owners.length;
    const order = [...owners.slice(start), ...owners.slice(0, start)];
    const got: Array<{ runner: JobRunner; item: ClaimedItem }> = [];
    // Two passes: what an owner could not use goes to the others.
    for (let pass = 0; pass < 2 && got.length < n && order.length > 0; pass++) {
      const left = n - got.length;
      const shares = order.map((_, i) => Math.floor(left / order.length) + (i < left % order.length ? 1 : 0));
      const claims = await Promise.all(order.map((owner, i) => this.claimFromOwner(byOwner.get(owner)!, shares[i]!)));
      claims.forEach((c) => got.push(...c));
      for (let i = order.length - 1; i >= 0; i--) if (claims[i]!.length < shares[i]!) order.splice(i, 1);
    }
    return got;
  }

  private async claimFromOwner(runners: JobRunner[], share: number) {
    const got: Array<{ runner: JobRunner; item: ClaimedItem }> = [];
    for (const runner of runners) {
      if (got.length >= share) break;
      if (!runner.wantsWork) continue;
      const items = await runner.take(share - got.length);
      got.push(...items.map((item) => ({ runner, item })));
    }
    return got;
  }

  private feed(state: FamilyState, lane: FamilyLane, items: Array<{ runner: JobRunner; item: ClaimedItem }>, channel: 'bulk' | 'single'): void {
    state.fed += items.length;
    state.calls[channel]++;
    const answers = items.map(({ runner, item }) =>
      lane.batcher.load({ params: item.params, callerId: runner.owner, requestId: `job:${item.jobId}` }).then((outcome) => {
        state.fed--;
        runner.deliver(item, outcome);
      }),
    );
    // These items are the call `room` chose: sent alone, the batch's channel is that call's channel
    // (pickChannel agrees for a full bulk call and for the singles' count), and no bulk call leaves
    // part-filled because a second feed of singles joined the first within the batch window.
    lane.batcher.seal();
    void Promise.allSettled(answers).then(() => {
      state.calls[channel]--;
      state.wake();
    });
  }
}
