import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  IdempotencyConflictError,
  MemoryIdempotencyStore,
  RedisIdempotencyStore,
  runIdempotent,
  type IdempotencyStore,
} from '../../src/invitations/idempotency.ts';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
const redisUp = await redis.connect().then(() => true, () => false);
if (!redisUp) console.warn(`Redis at ${redisUrl} is unreachable: the Redis idempotency tests are skipped.`);
const prefix = `test:idem:${randomUUID()}:`;
afterAll(async () => {
  if (redisUp) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

/** Only a cut-off attempt is recovered; these tests expect none unless they make one. */
const noRecovery = async (): Promise<never> => {
  throw new Error('no attempt was cut off');
};

const stores: Array<[string, () => IdempotencyStore, boolean]> = [
  ['memory', () => new MemoryIdempotencyStore(), true],
  ['redis', () => new RedisIdempotencyStore(redis, prefix), redisUp],
];

describe.each(stores)('runIdempotent with the %s store', (_name, makeStore, available) => {
  it.runIf(available)('runs once for concurrent and later retries with the same key, returning the first answer', async () => {
    const store = makeStore();
    let runs = 0;
    const job = () => runIdempotent({ store, scope: 'apikey:ci', key: 'k1', fingerprint: 'f', waitMs: 5_000, recover: noRecovery, run: async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 150));
      return { n: runs };
    } });
    const answers = await Promise.all([job(), job(), job()]);
    expect(answers).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }]);
    expect(await job()).toEqual({ n: 1 });
    expect(runs).toBe(1);
  });

  it.runIf(available)('keeps callers apart and refuses a key reused for other input', async () => {
    const store = makeStore();
    const run = (scope: string, fingerprint: string) => runIdempotent({ store, scope, key: 'same', fingerprint, waitMs: 1_000, recover: noRecovery, run: async () => scope });
    expect(await run('user:a', 'f1')).toBe('user:a');
    expect(await run('user:b', 'f1')).toBe('user:b');
    await expect(run('user:a', 'f2')).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });

  it.runIf(available)('answers 409 when the first request is still running past the wait, and frees a failed claim', async () => {
    const store = makeStore();
    let release!: () => void;
    const first = runIdempotent({ store, scope: 's', key: 'slow', fingerprint: 'f', waitMs: 0, recover: noRecovery, run: () => new Promise<string>((r) => (release = () => r('done'))) });
    await new Promise((r) => setTimeout(r, 20));
    await expect(runIdempotent({ store, scope: 's', key: 'slow', fingerprint: 'f', waitMs: 200, recover: noRecovery, run: async () => 'second' })).rejects.toBeInstanceOf(IdempotencyConflictError);
    release();
    expect(await first).toBe('done');
    await expect(runIdempotent({ store, scope: 's', key: 'boom', fingerprint: 'f', waitMs: 0, recover: noRecovery, run: async () => { throw new Error('x'); } })).rejects.toThrow('x');
    expect(await runIdempotent({ store, scope: 's', key: 'boom', fingerprint: 'f', waitMs: 0, recover: noRecovery, run: async () => 'retried' })).toBe('retried');
  });

  it.runIf(available)('recovers, never reruns, an attempt whose replica died, and only one retry takes it over', async () => {
    const store = makeStore();
    // What a replica that was killed mid-request leaves: a running claim past its time.
    const startedAt = Date.now() - 60_000;
    await store.claim('s:cut', { state: 'running', fingerprint: 'f', startedAt, staleAt: startedAt + 10_000 });
    const recovered: number[] = [];
    let runs = 0;
    const retry = () =>
      runIdempotent({
        store, scope: 's', key: 'cut', fingerprint: 'f', waitMs: 2_000,
        run: async () => `ran ${++runs}`,
        recover: async (since) => {
          recovered.push(since);
          await new Promise((r) => setTimeout(r, 100));
          return 'recovered';
        },
      });
    expect(await Promise.all([retry(), retry(), retry()])).toEqual(['recovered', 'recovered', 'recovered']);
    expect(recovered).toEqual([startedAt]);
    expect(runs).toBe(0);
    expect(await retry()).toBe('recovered');
  });

  it.runIf(available)('does not take over a claim that is still within its time', async () => {
    const store = makeStore();
    await store.claim('s:live', { state: 'running', fingerprint: 'f', startedAt: Date.now(), staleAt: Date.now() + 60_000 });
    await expect(runIdempotent({ store, scope: 's', key: 'live', fingerprint: 'f', waitMs: 200, recover: noRecovery, run: async () => 'x' })).rejects.toBeInstanceOf(IdempotencyConflictError);
  });
});

it('rejects keys with spaces or over 255 characters before doing anything', async () => {
  const store = new MemoryIdempotencyStore();
  for (const key of ['has space', 'x'.repeat(256), '']) {
    await expect(runIdempotent({ store, scope: 's', key, fingerprint: 'f', waitMs: 0, recover: noRecovery, run: async () => 1 })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  }
});
