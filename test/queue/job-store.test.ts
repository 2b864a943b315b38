import { describe, expect, it } from 'vitest';
import { failed, type InvitationOutcome } from '../../src/invitations/types.ts';
import type { JobStore } from '../../src/queue/job-store.ts';
import { MemoryJobStore } from '../../src/queue/memory-job-store.ts';
import { RedisJobStore } from '../../src/queue/redis-job-store.ts';
import type { NewJob } from '../../src/queue/types.ts';
import { redisReachable, twoClients } from '../support/redis.ts';

const redisUp = await redisReachable('job-store');

let seq = 0;
function newJob(total: number, invalid: number[] = []): NewJob {
  const id = `job_test_${Date.now()}_${seq++}`;
  const items = Array.from({ length: total }, (_, i) => {
    const emailAddress = `${id}-${i}@example.com`;
    return invalid.includes(i) ? { emailAddress } : { emailAddress, params: { emailAddress } };
  });
  const settled = new Map(invalid.map((i) => [i, failed(items[i]!.emailAddress, 'INVALID_INPUT', 'bad')]));
  return { id, owner: 'apikey:a', family: { kind: 'instance' }, fingerprint: 'f', items, settled, createdAt: 1 };
}

const created = (email: string, id = `inv_${email}`): InvitationOutcome => ({
  kind: 'created',
  invitation: { id, emailAddress: email, status: 'pending', publicMetadata: {}, url: null, revoked: false, expiresAt: null, createdAt: 1, updatedAt: 1 },
});

/** The rules both stores keep; `second` is another replica's view of the same store. */
function behaves(name: string, stores: () => { first: JobStore; second: JobStore }) {
  describe(name, () => {
    it('hands each item to one claimer only, however many claim at once', async () => {
      const { first, second } = stores();
      const job = newJob(50, [3]);
      await first.create(job);
      const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? first : second).claim(job.id, 7, `m${i}`, 10)));
      const indices = claims.flat().map((c) => c.index);
      expect(indices).toHaveLength(49);
      expect(new Set(indices).size).toBe(49);
      expect(indices).not.toContain(3);
    });

    it('records outcomes only under the mark that claimed them, gives back unsent items first, and finishes at zero pending', async () => {
      const { first, second } = stores();
      const job = newJob(3);
      await first.create(job);
      const items = await first.claim(job.id, 3, 'mine', 10);
      const [a, b, c] = items;
      expect((await second.settle(job.id, [{ index: a!.index, outcome: created(a!.params.emailAddress) }], 'other', 11)).accepted).toBe(false);
      await first.settle(job.id, [{ index: a!.index, outcome: created(a!.params.emailAddress) }], 'mine', 11);
      await first.giveBack(job.id, [{ index: c!.index, emailAddress: c!.params.emailAddress }], 'mine', 12);
      expect((await second.claim(job.id, 5, 'next', 13)).map((i) => i.index)).toEqual([c!.index]);
      const done = await second.settle(job.id, [{ index: c!.index, outcome: created(c!.params.emailAddress) }], 'next', 14);
      expect(done.meta).toMatchObject({ state: 'RUNNING', createdCount: 2, pendingCount: 1, finishedAt: null });
      const last = await first.settle(job.id, [{ index: b!.index, outcome: failed(b!.params.emailAddress, 'USER_EXISTS', 'x') }], 'mine', 15);
      expect(last.meta).toMatchObject({ state: 'DONE', createdCount: 2, failedCount: 1, pendingCount: 0, finishedAt: 15 });
      expect((await first.results(job.id, 0, 3)).map((e) => e.result?.kind)).toEqual(['created', 'failed', 'created']);
    });

    it("lets exactly one replica take over a dead replica's items in flight, keeping when they were claimed", async () => {
      const { first, second } = stores();
      const job = newJob(4);
      await first.create(job);
      await first.claim(job.id, 2, 'dead', 100);
      const seenByA = await first.orphans(job.id, 'a');
      const seenByB = await second.orphans(job.id, 'b');
      expect(seenByA.map((o) => o.claimedAt)).toEqual([100, 100]);
      const [takenA, takenB] = await Promise.all([first.adopt(job.id, seenByA, 'a'), second.adopt(job.id, seenByB, 'b')]);
      expect(takenA.length + takenB.length).toBe(2);
      expect(Math.min(takenA.length, takenB.length)).toBe(0);
      const winner = takenA.length > 0 ? 'a' : 'b';
      expect(await first.orphans(job.id, winner)).toEqual([]);
      expect((await first.orphans(job.id, 'someone-else')).map((o) => o.claimedAt)).toEqual([100, 100]);
      // The dead replica's late answer is dropped.
      expect((await first.settle(job.id, [{ index: 0, outcome: created(job.items[0]!.emailAddress) }], 'dead', 101)).accepted).toBe(false);
      // A replica that only stalled learns it holds them no more; the winner holds both.
      expect(await first.holding(job.id, [0, 1, 2], 'dead')).toEqual([]);
      expect(await second.holding(job.id, [0, 1, 2], winner)).toEqual([0, 1]);
    });

    it('cancels what is pending at once, lets items in flight finish, and sends nothing more', async () => {
      const { first, second } = stores();
      const job = newJob(10, [9]);
      await first.create(job);
      const [inFlight] = await first.claim(job.id, 1, 'mine', 10);
      const meta = await second.cancel(job.id, 11);
      expect(meta).toMatchObject({ state: 'CANCELLED', failedCount: 9, pendingCount: 1, finishedAt: null });
      expect(await first.claim(job.id, 5, 'mine', 12)).toEqual([]);
      const end = await first.settle(job.id, [{ index: inFlight!.index, outcome: created(inFlight!.params.emailAddress) }], 'mine', 13);
      expect(end.meta).toMatchObject({ state: 'CANCELLED', createdCount: 1, failedCount: 9, pendingCount: 0, finishedAt: 13 });
      const codes = (await second.results(job.id, 0, 10)).map((e) => (e.result?.kind === 'failed' ? e.result.code : e.result?.kind));
      expect(codes).toEqual(['created', ...Array(8).fill('CANCELLED'), 'INVALID_INPUT']);
      expect((await first.pendingByOwner('instance')).get('apikey:a')).toBeUndefined();
    });

    it('keeps the total of pending items across jobs as items settle, go back and are cancelled', async () => {
      const { first, second } = stores();
      const base = await second.pendingTotal();
      const job = newJob(10, [9]);
      await first.create(job);
      const other = newJob(3);
      await second.create(other);
      expect(await second.pendingTotal()).toBe(base + 12);
      const [a, b] = await first.claim(job.id, 2, 'mine', 10);
      await first.settle(job.id, [{ index: a!.index, outcome: created(a!.params.emailAddress) }], 'mine', 11);
      await first.giveBack(job.id, [{ index: b!.index, emailAddress: b!.params.emailAddress }], 'mine', 12);
      expect(await first.pendingTotal()).toBe(base + 11);
      const [c] = await first.claim(job.id, 1, 'mine', 13);
      await second.cancel(job.id, 14);
      // The item in flight stays pending until its call is answered.
      expect(await first.pendingTotal()).toBe(base + 3 + 1);
      await first.settle(job.id, [{ index: c!.index, outcome: created(c!.params.emailAddress) }], 'mine', 15);
      expect(await second.pendingTotal()).toBe(base + 3);
    });

    it('keeps the first job under an id; a second create with the same id changes nothing', async () => {
      const { first, second } = stores();
      const job = newJob(2);
      expect((await first.create(job)).created).toBe(true);
      const again = await second.create({ ...job, fingerprint: 'other', items: [] });
      expect(again).toMatchObject({ created: false, meta: { fingerprint: 'f', total: 2 } });
    });
  });
}

behaves('the in-memory job store', () => {
  const memory = new MemoryJobStore();
  return { first: memory, second: memory };
});

describe.runIf(redisUp)('with Redis', () => {
  const redis = twoClients();
  behaves('the Redis job store', () => {
    const prefix = redis.prefix('queue');
    return { first: new RedisJobStore(redis.a(), prefix), second: new RedisJobStore(redis.b(), prefix) };
  });
});
