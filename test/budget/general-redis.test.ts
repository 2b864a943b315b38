import { describe, expect, it } from 'vitest';
import { createGeneralBudget } from '../../src/budget/create-budget.ts';
import { RedisGeneralBudget, type RedisGeneralBudgetOptions } from '../../src/budget/general-redis.ts';
import { budgetKeys } from '../../src/budget/redis-budget.ts';
import { closedPort, connect, keysUnder, redisReachable, silentServer, twoClients, withClientOf } from '../support/redis.ts';
import { manualClock } from './behaviour.ts';
import { generalBehaviour } from './general-behaviour.ts';

const redisUp = await redisReachable('budget/general-redis');
const SECRET = 'sk_test_SuperSecretValue123';

describe.skipIf(!redisUp)('RedisGeneralBudget', () => {
  const redis = twoClients();
  const budget = (options: Partial<RedisGeneralBudgetOptions> & { prefix: string }) =>
    new RedisGeneralBudget({ redis: redis.a(), secretKey: SECRET, clerkPer10s: 100, marginMs: 0, ...options });
  const prefix = () => redis.prefix('general');

  generalBehaviour((clock, reservePercent) => budget({ clock, reservePercent, prefix: prefix() }));

  it('gives exactly the share to 200 concurrent takes from two connections', async () => {
    const p = prefix();
    const one = budget({ prefix: p });
    const two = budget({ prefix: p, redis: redis.b() });
    const decisions = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? one : two).take('list', 1)));
    expect(decisions.filter((d) => d.ok)).toHaveLength(50);
  });

  it('shows a pause to every replica, for that family only', async () => {
    const p = prefix();
    const clock = manualClock();
    await budget({ prefix: p, clock }).pause('revoke', clock.t + 5000);
    const other = budget({ prefix: p, clock, redis: redis.b() });
    expect(await other.take('revoke', 1)).toEqual({ ok: false, reason: 'paused', retryAfterMs: 5000 });
    expect((await other.take('list', 1)).ok).toBe(true);
    expect((await other.status()).paused.find((f) => f.family === 'revoke')?.pausedUntil).toBe(clock.t + 5000);
  });

  it('keeps its keys beside the hourly budget of the same instance, apart from other instances, without the secret', async () => {
    const p = prefix();
    await budget({ prefix: p }).take('list', 10);
    await budget({ prefix: p }).pause('list', Date.now() + 60_000);
    await budget({ prefix: p, secretKey: 'sk_test_other' }).take('list', 50);
    expect((await budget({ prefix: p }).status()).remaining).toBe(40);
    const { log, meta } = budgetKeys(SECRET, 'general', p);
    const hourly = budgetKeys(SECRET, 'bulk', p).log;
    // Same hash tag as the hourly channels: one cluster slot per instance.
    expect(log.slice(0, log.indexOf('}'))).toBe(hourly.slice(0, hourly.indexOf('}')));
    const keys = await keysUnder(redis.a(), p);
    expect(keys).toEqual(expect.arrayContaining([log, meta]));
    for (const key of keys) {
      expect(key).not.toContain('SuperSecret');
      const ttl = await redis.a().pttl(key);
      expect(ttl).toBeGreaterThan(0);
      // The pause keeps the meta hash for its minute; nothing else outlives the window.
      expect(ttl).toBeLessThanOrEqual(key === meta ? 60_000 : 10_000);
    }
  });

  it('uses Redis TIME when no clock is injected', async () => {
    const p = prefix();
    const real = budget({ prefix: p, marginMs: 1000 });
    const before = Date.now();
    await real.take('list', 1);
    const { resetAt } = await real.status();
    expect(resetAt).toBeGreaterThanOrEqual(before + 11_000 - 1000);
    expect(resetAt).toBeLessThanOrEqual(Date.now() + 11_000 + 1000);
  });

  it('refuses quickly when Redis is down, never letting a call through, and says so in status', async () => {
    const dead = connect(`redis://127.0.0.1:${await closedPort()}`);
    try {
      const down = budget({ prefix: prefix(), redis: dead });
      expect(await down.take('list', 1)).toEqual({ ok: false, reason: 'unavailable', retryAfterMs: 2000 });
      expect(await down.status()).toMatchObject({ remaining: 0, unavailable: true });
      await expect(down.charge(1)).rejects.toThrow();
      await expect(down.pause('list', Date.now() + 1000)).rejects.toThrow();
    } finally {
      dead.disconnect();
    }
  });

  it('does not hang on a Redis that never answers', async () => {
    await withClientOf(await silentServer(), async (stuckRedis) => {
      const stuck = budget({ prefix: prefix(), redis: stuckRedis, timeoutMs: 300 });
      expect(await stuck.take('users', 2)).toMatchObject({ ok: false, reason: 'unavailable' });
      expect((await stuck.status()).unavailable).toBe(true);
    });
  });

  it('is what createGeneralBudget returns with Redis', () => {
    expect(createGeneralBudget({ redis: redis.a(), secretKey: SECRET, clerkPer10s: 100 })).toBeInstanceOf(RedisGeneralBudget);
  });
});
