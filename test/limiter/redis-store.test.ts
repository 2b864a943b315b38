import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from 'graphql-rate-limit';
import { fromGraphQLRateLimitStore } from '../../src/limiter/legacy-store.ts';
import { RedisCallerLimitStore } from '../../src/limiter/redis-store.ts';
import { limiterBehaviour } from './behaviour.ts';
import { boundedLogBehaviour } from './bounded-log.ts';
import { closedPort, connect, keysUnder, redisProxy, redisReachable, silentServer, twoClients, withClientOf, uniquePrefix } from '../support/redis.ts';
import { codes, concurrentPings, limitedSchema, run } from './schema.ts';

const redisUp = await redisReachable('limiter/redis-store');

describe.skipIf(!redisUp)('RedisCallerLimitStore', () => {
  const redis = twoClients();
  const prefix = (name: string) => redis.prefix(`rl-${name}`);

  describe('through @rateLimit', () => {
    limiterBehaviour(() => new RedisCallerLimitStore({ redis: redis.a(), prefix: prefix('behaviour') }));
  });

  it('shares one limit between replicas with separate connections', async () => {
    const p = prefix('replicas');
    const replica1 = limitedSchema({ store: new RedisCallerLimitStore({ redis: redis.a(), prefix: p }) });
    const replica2 = limitedSchema({ store: new RedisCallerLimitStore({ redis: redis.b(), prefix: p }) });
    const [one, two] = await Promise.all([concurrentPings(replica1, 50), concurrentPings(replica2, 50)]);
    expect(one + two).toBe(10);
  });

  it('writes only under its prefix and sets an expiry', async () => {
    const p = prefix('keys');
    await concurrentPings(limitedSchema({ store: new RedisCallerLimitStore({ redis: redis.a(), prefix: p }) }), 3);
    const keys = await keysUnder(redis.a(), p);
    expect(keys).toEqual([`${p}user%3Aa:Query.ping`]);
    const ttl = await redis.a().pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('computes the wait from the log with an injected clock', async () => {
    const clock = { t: 1_700_000_000_000, now() { return this.t; } };
    const store = new RedisCallerLimitStore({ redis: redis.a(), prefix: prefix('clock'), clock });
    const hit = (units = 1, countRejected = true) =>
      store.hit({ contextIdentity: 'a', fieldIdentity: 'f' }, { units, max: 10, windowMs: 60_000, countRejected });
    for (let i = 0; i < 10; i += 1) {
      expect((await hit()).allowed).toBe(true);
      clock.t += 1000;
    }
    expect(await hit(1, false)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 50_000, resetAfterMs: 50_000 });
    expect(await hit()).toEqual({ allowed: false, remaining: 0, retryAfterMs: 51_000, resetAfterMs: 50_000 });
    expect((await hit(3)).retryAfterMs).toBe(56_000);
    clock.t += 56_000;
    expect(await hit(3, false)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0, resetAfterMs: 1_000 });
  });

  it('refuses calls with 503 when Redis cannot be reached, quickly', async () => {
    const dead = connect(`redis://127.0.0.1:${await closedPort()}`);
    try {
      const schema = limitedSchema({ store: new RedisCallerLimitStore({ redis: dead, prefix: prefix('dead') }) });
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 5 }, () => run(schema, '{ ping }')));
      expect(Date.now() - started).toBeLessThan(2000);
      expect(results.flatMap(codes)).toEqual(Array(5).fill('SERVICE_UNAVAILABLE'));
      expect(results[0]!.errors![0]!.extensions.http).toMatchObject({ status: 503 });
    } finally {
      dead.disconnect();
    }
  });

  it('does not hang on a Redis that never answers', async () => {
    await withClientOf(await silentServer(), async (redis) => {
      const schema = limitedSchema({ store: new RedisCallerLimitStore({ redis, prefix: prefix('silent'), timeoutMs: 500 }) });
      const started = Date.now();
      expect(codes(await run(schema, '{ ping }'))).toEqual(['SERVICE_UNAVAILABLE']);
      expect(Date.now() - started).toBeLessThan(1500);
    });
  });

  it('recovers by itself when Redis comes back', async () => {
    await withClientOf(await redisProxy(), async (redis, proxy) => {
      const schema = limitedSchema({ store: new RedisCallerLimitStore({ redis, prefix: prefix('recover') }) });
      expect(codes(await run(schema, '{ ping }'))).toEqual([]);
      await proxy.cut();
      expect(codes(await run(schema, '{ ping }'))).toEqual(['SERVICE_UNAVAILABLE']);
      await proxy.restore();
      await expect.poll(async () => codes(await run(schema, '{ ping }')), { timeout: 10_000, interval: 200 }).toEqual([]);
    });
  });

  describe('log size', () => {
    let n = 0;
    boundedLogBehaviour(() => {
      const clock = { t: 1_700_000_000_000, now() { return this.t; } };
      const p = prefix(`bounded-${n++}`);
      const store = new RedisCallerLimitStore({ redis: redis.a(), prefix: p, clock });
      return { store, clock, entries: async () => redis.a().zcard(`${p}user%3Aflood:Query.ping`) };
    }, 3_000);
  });
});

describe.skipIf(!redisUp)('graphql-rate-limit RedisStore (for comparison)', () => {
  it('lets concurrent calls past its limit', async () => {
    const redis = connect();
    try {
      const store = new RedisStore(redis);
      const schema = limitedSchema({ store: fromGraphQLRateLimitStore(store) });
      const caller = `user:${uniquePrefix('legacy')}`;
      expect(await concurrentPings(schema, 100, caller)).toBeGreaterThan(10);
      await redis.del(`redis-store-id::${caller}:Query.ping`);
    } finally {
      redis.disconnect();
    }
  });
});
