import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcome, startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { MAX_PENDING_INVITATIONS: '40', UPSTREAM_TIMEOUT_MS: '5000', REQUEST_TIMEOUT_MS: '20000' } });
});
afterAll(() => stack.close());

describe('backpressure', () => {
  it('bounds the queue: past MAX_PENDING_INVITATIONS items fail fast and retryable while earlier ones wait', async () => {
    // Clerk is slow, so the first items stay in flight while the flood arrives.
    stack.emulator.faults.add({ route: 'any', fault: 'latency', latencyMs: 1_500 });
    const pendingSeen: number[] = [];
    const sampler = setInterval(() => pendingSeen.push(stack.app.services.batcher.pending), 5);
    const heapBefore = process.memoryUsage().heapUsed;

    const flood = Array.from({ length: 300 }, (_, r) =>
      stack.invite(Array.from({ length: 10 }, (_, i) => `f${r}-${i}@example.com`)).then((p) => ({ p, at: performance.now() })),
    );
    const answers = await Promise.all(flood);
    clearInterval(sampler);

    const results = answers.flatMap((a) => a.p.results);
    expect(results).toHaveLength(3_000);
    const rejected = results.filter((r) => r.__typename === 'InvitationFailed' && r.code === 'RATE_LIMITED');
    const created = results.filter((r) => outcome(r) === 'CREATED');
    expect(created.length).toBeLessThanOrEqual(40);
    expect(created.length + rejected.length).toBe(3_000);
    for (const r of rejected) expect(r).toMatchObject({ retryable: true, retryAfterSeconds: 1 });
    expect(Math.max(...pendingSeen)).toBeLessThanOrEqual(40);
    // Requests whose items were all turned away answered before Clerk's first (1.5 s) reply came back.
    const turnedAway = answers.filter((a) => a.p.createdCount === 0);
    expect(turnedAway.length).toBeGreaterThan(250);
    // Ordering, not a stopwatch: the first turned-away answer came before any answer that waited for Clerk.
    const servedByClerk = answers.filter((a) => a.p.createdCount > 0);
    expect(Math.min(...turnedAway.map((a) => a.at))).toBeLessThan(Math.min(...servedByClerk.map((a) => a.at)));
    expect(stack.emulator.invitations()).toHaveLength(created.length);
    console.info(`flood: ${rejected.length} turned away, heap grew ${((process.memoryUsage().heapUsed - heapBefore) / 1e6).toFixed(1)} MB`);
  });
});
