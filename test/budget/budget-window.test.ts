import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { REDIS_URL, redisReachable } from '../support/redis.ts';
import { emails, outcome, startStack, type Stack } from '../support/stack.ts';
import { manualClock } from './behaviour.ts';

const redisUp = await redisReachable('budget/budget-window');
let stack: Stack | undefined;
afterEach(() => stack?.close());

const STATUS = '{ gatewayStatus { channels { channel limit remaining windowSeconds resetAt } } }';

describe('UPSTREAM_BUDGET_WINDOW through the emulator', () => {
  it.each([
    ['in memory', {}],
    ['in Redis', { REDIS_URL }],
  ])('a 10 s window %s yields the configured calls, refuses the next without a 429, and refills', async (name, env) => {
    if (name === 'in Redis' && !redisUp) return;
    // One clock for both sides, so "an hour" of 10 s passes exactly when the test says.
    const clock = manualClock();
    stack = await startStack({
      clock,
      env: { ...env, UPSTREAM_BUDGET_WINDOW: '10s', UPSTREAM_BULK_PER_HOUR: '2', UPSTREAM_SINGLE_PER_HOUR: '3', BATCH_WINDOW_MAX_MS: '50' },
      emulator: { limits: { bulkPerHour: 2, singlePerHour: 3, windowMs: 10_000 }, now: () => clock.t },
    });
    const t0 = clock.t;
    // Two bulk calls, then three single creates (one item costs less of the single allowance).
    for (let i = 0; i < 2; i += 1) expect((await stack.invite(emails(10, `bulk${i}-`))).createdCount).toBe(10);
    for (let i = 0; i < 3; i += 1) expect((await stack.invite(emails(1, `single${i}-`))).createdCount).toBe(1);
    clock.t = t0 + 5000;
    const refused = await stack.invite(emails(3, 'late-'));
    expect(refused.results.map(outcome)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    // The first spend leaves the 10 s window (plus its 100 ms margin) 5.1 s from now, not in an hour.
    expect(refused.results.map((r) => (r.__typename === 'InvitationFailed' ? r.retryAfterSeconds : null))).toEqual([6, 6, 6]);
    const { body } = await stack.request(STATUS);
    expect(body.data.gatewayStatus.channels).toEqual([
      { channel: 'BULK', limit: 2, remaining: 0, windowSeconds: 11, resetAt: new Date(t0 + 10_100).toISOString() },
      { channel: 'SINGLE', limit: 3, remaining: 0, windowSeconds: 11, resetAt: new Date(t0 + 10_100).toISOString() },
    ]);

    clock.t = t0 + 10_100;
    expect((await stack.invite(emails(10, 'next-window-'))).createdCount).toBe(10);
    expect(stack.bulkCalls().filter((c) => c.status === 200)).toHaveLength(3);
    expect(stack.singleCalls().filter((c) => c.status === 200)).toHaveLength(3);
    expect(stack.emulator.calls.filter((c) => c.status === 429)).toHaveLength(0);
    expect(stack.emulator.invitations()).toHaveLength(33);
  });
});

describe('UPSTREAM_BUDGET_WINDOW configuration', () => {
  it('reads the rate-limit notation and defaults to an hour', () => {
    expect(loadConfig({}).upstream.budgetWindowMs).toBe(3_600_000);
    expect(loadConfig({ UPSTREAM_BUDGET_WINDOW: '10s' }).upstream.budgetWindowMs).toBe(10_000);
    expect(loadConfig({ UPSTREAM_BUDGET_WINDOW: '500ms' }).upstream.budgetWindowMs).toBe(500);
    expect(loadConfig({ UPSTREAM_BUDGET_WINDOW: '1d' }).upstream.budgetWindowMs).toBe(86_400_000);
  });

  it('scales the default longest batch wait with it, and keeps a BATCH_WINDOW_MAX_MS that is set', () => {
    expect(loadConfig({}).batching.windowMaxMs).toBe(10_000);
    expect(loadConfig({ UPSTREAM_BUDGET_WINDOW: '1d' }).batching.windowMaxMs).toBe(10_000);
    expect(loadConfig({ UPSTREAM_BUDGET_WINDOW: '10s' }).batching.windowMaxMs).toBe(28);
    // Never below the base window.
    expect(loadConfig({ UPSTREAM_BUDGET_WINDOW: '500ms' }).batching.windowMaxMs).toBe(20);
    expect(loadConfig({ UPSTREAM_BUDGET_WINDOW: '500ms', BATCH_WINDOW_MS: '40' }).batching.windowMaxMs).toBe(40);
    expect(loadConfig({ UPSTREAM_BUDGET_WINDOW: '10s', BATCH_WINDOW_MAX_MS: '5000' }).batching.windowMaxMs).toBe(5000);
    expect(() => loadConfig({ BATCH_WINDOW_MS: '50', BATCH_WINDOW_MAX_MS: '40' })).toThrow(/BATCH_WINDOW_MAX_MS=40: expected at least BATCH_WINDOW_MS \(50\)/);
  });

  it('refuses a window shorter than the hour while the gateway talks to Clerk itself', () => {
    const secret = { CLERK_SECRET_KEY: 'sk_live_abc' };
    expect(() => loadConfig({ ...secret, UPSTREAM_BUDGET_WINDOW: '10s' })).toThrow(
      /UPSTREAM_BUDGET_WINDOW="10s": shorter than Clerk's hour while CLERK_API_URL is Clerk \(api\.clerk\.com\); expected a number and a unit/,
    );
    expect(loadConfig({ ...secret, UPSTREAM_BUDGET_WINDOW: '2h' }).upstream.budgetWindowMs).toBe(7_200_000);
    expect(loadConfig({ ...secret, CLERK_API_URL: 'http://127.0.0.1:4010', UPSTREAM_BUDGET_WINDOW: '10s' }).upstream.budgetWindowMs).toBe(10_000);
  });
});
