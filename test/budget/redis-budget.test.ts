import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBudget } from '../../src/budget/create-budget.ts';
import { budgetKeys, RedisBudget, type RedisBudgetOptions } from '../../src/budget/redis-budget.ts';
import { closedPort, connect, keysUnder, redisProxy, redisReachable, silentServer, twoClients, withClientOf } from '../support/redis.ts';
import { budgetBehaviour, budgetWindowBehaviour, manualClock } from './behaviour.ts';

const redisUp = await redisReachable('budget/redis-budget');
const SECRET = 'sk_test_SuperSecretValue123';

describe.skipIf(!redisUp)('RedisBudget', () => {
  const redis = twoClients();
  const budget = (options: Partial<RedisBudgetOptions> & { prefix: string }) =>
    new RedisBudget({ redis: redis.a(), secretKey: SECRET, bulkPerHour: 25, singlePerHour: 100, marginMs: 0, ...options });
  const prefix = () => redis.prefix('budget');

  budgetBehaviour((clock) => budget({ clock, prefix: prefix() }));
  budgetWindowBehaviour((clock, windowMs) => budget({ clock, windowMs, marginMs: undefined, prefix: prefix() }));

  it('is atomic across two connections', async () => {
    const p = prefix();
    const one = budget({ prefix: p });
    const two = budget({ prefix: p, redis: redis.b() });
    const decisions = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? one : two).take('bulk', 1)));
    expect(decisions.filter((d) => d.ok)).toHaveLength(25);
  });

  it('shows a pause to every replica', async () => {
    const p = prefix();
    const clock = manualClock();
    await budget({ prefix: p, clock }).pause('single', clock.t + 5000);
    const other = budget({ prefix: p, clock, redis: redis.b() });
    expect(await other.take('single', 1)).toEqual({ ok: false, reason: 'paused', retryAfterMs: 5000 });
    expect((await other.status('single')).pausedUntil).toBe(clock.t + 5000);
  });

  it('keeps Clerk instances apart and never writes the secret key', async () => {
    const p = prefix();
    await budget({ prefix: p }).take('bulk', 1);
    await budget({ prefix: p, secretKey: 'sk_test_other' }).take('bulk', 25);
    expect((await budget({ prefix: p }).status('bulk')).remaining).toBe(24);
    const keys = await keysUnder(redis.a(), p);
    expect(keys).toContain(budgetKeys(SECRET, 'bulk', p).log);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).not.toContain(SECRET);
      expect(key).not.toContain('SuperSecret');
      expect(await redis.a().pttl(key)).toBeGreaterThan(0);
    }
    expect(budgetKeys(SECRET, 'bulk')).toEqual({
      log: expect.stringMatching(/^cig:budget:\{[0-9a-f]{16}\}:bulk$/),
      meta: expect.stringMatching(/^cig:budget:\{[0-9a-f]{16}\}:bulk:meta$/),
    });
  });

  it('uses Redis TIME when no clock is injected', async () => {
    const p = prefix();
    const real = budget({ prefix: p, marginMs: 10_000 });
    const before = Date.now();
    await real.take('bulk', 1);
    const { resetAt } = await real.status('bulk');
    expect(resetAt).toBeGreaterThanOrEqual(before + 3_610_000 - 1000);
    expect(resetAt).toBeLessThanOrEqual(Date.now() + 3_610_000 + 1000);
  });

  it('answers unavailable quickly when Redis is down, and never lets a call through', async () => {
    const dead = connect(`redis://127.0.0.1:${await closedPort()}`);
    try {
      const down = budget({ prefix: prefix(), redis: dead });
      const started = Date.now();
      const decision = await down.take('bulk', 1);
      expect(decision).toEqual({ ok: false, reason: 'unavailable', retryAfterMs: 2000 });
      expect(await down.status('bulk')).toEqual({ channel: 'bulk', limit: 25, remaining: 0, windowMs: 3_600_000, resetAt: null, pausedUntil: null, unavailable: true });
      await expect(down.refund('bulk', 1)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      dead.disconnect();
    }
  });

  it('does not hang on a Redis that never answers', async () => {
    await withClientOf(await silentServer(), async (redis) => {
      const stuck = budget({ prefix: prefix(), redis, timeoutMs: 400 });
      const started = Date.now();
      expect((await stuck.take('single', 1)).ok).toBe(false);
      expect((await stuck.status('single')).unavailable).toBe(true);
      expect(Date.now() - started).toBeLessThan(1500);
    });
  });

  it('recovers by itself when Redis comes back', async () => {
    await withClientOf(await redisProxy(), async (redis, proxy) => {
      const flaky = budget({ prefix: prefix(), redis });
      expect((await flaky.take('bulk', 1)).ok).toBe(true);
      await proxy.cut();
      expect(await flaky.take('bulk', 1)).toMatchObject({ ok: false, reason: 'unavailable' });
      await proxy.restore();
      await expect.poll(async () => (await flaky.take('bulk', 1)).ok, { timeout: 10_000, interval: 200 }).toBe(true);
    });
  });

  it('is what createBudget returns with Redis', () => {
    expect(createBudget({ redis: redis.a(), secretKey: SECRET, bulkPerHour: 25, singlePerHour: 100 })).toBeInstanceOf(RedisBudget);
  });
});
