import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchDispatcher } from '../../src/batcher/dispatcher.ts';
import type { ChannelPolicy } from '../../src/batcher/channel-policy.ts';
import { MemoryBudget } from '../../src/budget/index.ts';
import { ClerkUpstream } from '../../src/clerk/upstream.ts';
import { startEmulator, type Emulator, type FaultRule } from '../../src/emulator/index.ts';
import type { InvitationOutcome, InvitationParams } from '../../src/invitations/types.ts';

let emulator: Emulator;
beforeEach(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterEach(() => emulator.close());

function dispatcher({ policy = 'bulk' as ChannelPolicy, timeoutMs = 2_000, bulkPerHour = 25, singlePerHour = 100 } = {}) {
  const budget = new MemoryBudget({ bulkPerHour, singlePerHour });
  const upstream = new ClerkUpstream({ secretKey: emulator.secretKeys[0]!, apiUrl: emulator.url, timeoutMs });
  return { budget, dispatcher: new BatchDispatcher({ upstream, budget, policy, bulkPerHour, singlePerHour, upstreamTimeoutMs: timeoutMs }) };
}

const items = (n: number, extra: Partial<InvitationParams> = {}) =>
  Array.from({ length: n }, (_, i) => ({ emailAddress: `p${i}@example.com`, ...extra }));
const codes = (results: InvitationOutcome[]) => results.map((r) => (r.kind === 'created' ? 'CREATED' : r.code));
const createdIn = () => emulator.invitations().map((i) => i.emailAddress).sort();
const fault = (rule: FaultRule) => emulator.faults.add(rule);

describe('BatchDispatcher against faults', () => {
  it.each(['error500-after-commit', 'reset-after-commit', 'malformed-body'] as const)(
    'after %s, finds the invitations Clerk did create and reports them created without resending',
    async (kind) => {
      fault({ route: 'bulk', fault: kind, times: 1 });
      const { dispatcher: d } = dispatcher();
      const results = await d.send(items(3));
      expect(codes(results)).toEqual(['CREATED', 'CREATED', 'CREATED']);
      expect(createdIn()).toEqual(['p0@example.com', 'p1@example.com', 'p2@example.com']);
      expect(emulator.calls.filter((c) => c.route === 'bulk')).toHaveLength(1);
      results.forEach((r) => r.kind === 'created' && expect(emulator.invitations().map((i) => i.id)).toContain(r.invitation.id));
    },
  );

  it('after a 500 before commit, resends what provably was not created, exactly once', async () => {
    fault({ route: 'bulk', fault: 'error500-before-commit', times: 1 });
    const { dispatcher: d } = dispatcher();
    expect(codes(await d.send(items(3)))).toEqual(['CREATED', 'CREATED', 'CREATED']);
    expect(emulator.calls.filter((c) => c.route === 'bulk')).toHaveLength(2);
    expect(createdIn()).toHaveLength(3);
  });

  it('after a timeout, resends items Clerk would refuse as duplicates but not ignoreExisting ones', async () => {
    fault({ route: 'bulk', fault: 'hang', times: 1 });
    const { dispatcher: d } = dispatcher({ timeoutMs: 300 });
    expect(codes(await d.send(items(2)))).toEqual(['CREATED', 'CREATED']);
    expect(createdIn()).toEqual(['p0@example.com', 'p1@example.com']);
    fault({ route: 'bulk', fault: 'hang', times: 1 });
    const risky = await d.send([{ emailAddress: 'again@example.com', ignoreExisting: true }]);
    expect(risky[0]).toMatchObject({ kind: 'failed', code: 'OUTCOME_UNKNOWN', retryable: false });
    expect(risky[0]!.kind === 'failed' && risky[0]!.message).toMatch(/invitations query/);
  });

  it('looks again after a timeout, so an invitation that lands late is reported created, not unknown', async () => {
    // Clerk answers after 450 ms; the gateway gives up at 300 ms, looks, finds nothing yet, then looks again.
    fault({ route: 'bulk', fault: 'latency', latencyMs: 450, times: 1 });
    const { dispatcher: d } = dispatcher({ timeoutMs: 300 });
    const results = await d.send([{ emailAddress: 'late@example.com', ignoreExisting: true }], Date.now() + 5_000);
    expect(codes(results)).toEqual(['CREATED']);
    expect(createdIn()).toEqual(['late@example.com']);
    expect(emulator.calls.filter((c) => c.route === 'bulk')).toHaveLength(1);
  });

  it('says OUTCOME_UNKNOWN, never failed, when the lookup fails too', async () => {
    fault({ route: 'bulk', fault: 'error500-after-commit', times: 1 });
    fault({ route: 'list', fault: 'error500-before-commit' });
    const { dispatcher: d } = dispatcher();
    const results = await d.send(items(2));
    expect(codes(results)).toEqual(['OUTCOME_UNKNOWN', 'OUTCOME_UNKNOWN']);
    expect(createdIn()).toHaveLength(2);
  });

  it('waits out a short 429 inside the deadline and pauses the channel meanwhile', async () => {
    fault({ route: 'bulk', fault: 'rate-limit', retryAfterSeconds: 1, times: 1 });
    const { dispatcher: d, budget } = dispatcher({ timeoutMs: 1_000 });
    const started = Date.now();
    expect(codes(await d.send(items(2), Date.now() + 10_000))).toEqual(['CREATED', 'CREATED']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await budget.status('bulk')).remaining).toBe(23);
  });

  it('fails items RATE_LIMITED with Clerk\'s Retry-After when it does not fit the deadline, sending nothing more', async () => {
    fault({ route: 'bulk', fault: 'rate-limit', retryAfterSeconds: 120, times: 1 });
    const { dispatcher: d, budget } = dispatcher();
    const results = await d.send(items(2), Date.now() + 10_000);
    expect(results[0]).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterSeconds: 120 });
    expect(emulator.calls).toHaveLength(1);
    expect((await budget.status('bulk')).pausedUntil).toBeGreaterThan(Date.now() + 100_000);
  });

  it('retries a refused connection with backoff, then fails retryable with the budget refunded', async () => {
    const { dispatcher: d, budget } = dispatcher();
    await emulator.close();
    const started = Date.now();
    const results = await d.send(items(2), Date.now() + 30_000);
    expect(results[0]).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true });
    expect(results[0]!.kind === 'failed' && results[0]!.message).toMatch(/nothing was sent/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100 + 200 + 400);
    expect((await budget.status('bulk')).remaining).toBe(25);
  });

  it('never causes a 429 itself: past its own budget items fail RATE_LIMITED with the time until a call is admitted', async () => {
    emulator.reset();
    const { dispatcher: d } = dispatcher({ bulkPerHour: 2 });
    await d.send(items(2));
    await d.send([{ emailAddress: 'x@example.com' }, { emailAddress: 'y@example.com' }]);
    const results = await d.send([{ emailAddress: 'z@example.com' }]);
    expect(results[0]).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    const seconds = results[0]!.kind === 'failed' ? results[0]!.retryAfterSeconds! : 0;
    expect(Math.abs(seconds - 3_610)).toBeLessThanOrEqual(2);
    expect(emulator.calls.filter((c) => c.status === 429)).toHaveLength(0);
  });

  it('in auto mode carries small batches on singles and big ones on bulk', async () => {
    const { dispatcher: d } = dispatcher({ policy: 'auto' });
    await d.send(items(3));
    await d.send(items(5, {}).map((i) => ({ emailAddress: `b${i.emailAddress}` })));
    expect(emulator.calls.map((c) => c.route)).toEqual(['single', 'single', 'single', 'bulk']);
  });

  it('asks for the longest batching window once single creates are spent, and a growing one as bulk runs low', async () => {
    // With 4 bulk and 5 single calls an hour, auto sends lone items as singles and pairs up as bulk.
    const { dispatcher: d } = dispatcher({ policy: 'auto', bulkPerHour: 4, singlePerHour: 5 });
    expect(d.scarcity()).toBe(0);
    await d.send(items(5));
    expect(d.scarcity()).toBe(0.25);
    for (let i = 0; i < 4; i++) await d.send([{ emailAddress: `s${i}@example.com` }]);
    expect(d.scarcity()).toBe(0.25);
    await d.send([{ emailAddress: 'last-single@example.com' }]);
    expect(d.scarcity()).toBe(1);
  });

  it('does not hold items for company once no bulk call is left and singles can carry them', async () => {
    const { dispatcher: d } = dispatcher({ policy: 'auto', bulkPerHour: 1, singlePerHour: 5 });
    await d.send(items(5));
    expect(d.scarcity()).toBe(0);
    const [lone] = await d.send([{ emailAddress: 'lone@example.com' }]);
    expect(lone!.kind).toBe('created');
  });
});
