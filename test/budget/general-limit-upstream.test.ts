import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryGeneralBudget } from '../../src/budget/general-memory.ts';
import { UpstreamFailure } from '../../src/clerk/classify.ts';
import { GeneralLimitedUpstream, GeneralLimitRefusal } from '../../src/clerk/general-limit.ts';
import { ClerkUpstream } from '../../src/clerk/upstream.ts';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { manualClock, type ManualClock } from './behaviour.ts';

// The real SDK against the emulator, through the decorator, with a budget on a manual clock.
let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

function limited(clerkPer10s: number, clock: ManualClock = manualClock()) {
  const budget = new MemoryGeneralBudget({ clerkPer10s, reservePercent: 0, marginMs: 0, clock });
  const inner = new ClerkUpstream({ secretKey: emulator.secretKeys[0]!, apiUrl: emulator.url, timeoutMs: 2_000 });
  return { budget, clock, upstream: new GeneralLimitedUpstream(inner, { budget, now: () => clock.now() }) };
}

async function refusalOf(promise: Promise<unknown>) {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(GeneralLimitRefusal);
  return (error as GeneralLimitRefusal).info;
}

describe('GeneralLimitedUpstream', () => {
  it('keeps a share for settling unknown outcomes that admin reads and revokes cannot spend', async () => {
    const clock = manualClock();
    const budget = new MemoryGeneralBudget({ clerkPer10s: 6, reservePercent: 0, marginMs: 0, clock });
    const inner = new ClerkUpstream({ secretKey: emulator.secretKeys[0]!, apiUrl: emulator.url, timeoutMs: 2_000 });
    const upstream = new GeneralLimitedUpstream(inner, { budget, now: () => clock.now(), settlingReserve: 2 });
    for (let i = 0; i < 4; i++) await upstream.list({ limit: 1, offset: 0 });
    expect(await refusalOf(upstream.list({ limit: 1, offset: 0 }))).toMatchObject({ kind: 'rate-limited' });
    expect(await refusalOf(upstream.revoke('inv_123'))).toMatchObject({ kind: 'rate-limited' });
    // A reconciliation lookup still gets through, twice, then the whole allowance is spent.
    await upstream.list({ query: 'a@example.com', limit: 100, offset: 0, purpose: 'reconcile' });
    await upstream.list({ query: 'b@example.com', limit: 100, offset: 0, purpose: 'reconcile' });
    expect(await refusalOf(upstream.list({ query: 'c@example.com', limit: 100, offset: 0, purpose: 'reconcile' }))).toMatchObject({ kind: 'rate-limited' });
    expect(emulator.calls).toHaveLength(6);
  });

  it('counts a user lookup as the two requests Clerk sees, and refuses the next call without sending it', async () => {
    const { upstream, budget } = limited(3);
    await upstream.existingUsers(['a@example.com']);
    expect(emulator.calls.map((c) => c.route).sort()).toEqual(['users', 'users-count']);
    expect((await budget.status()).remaining).toBe(1);
    await upstream.list({ limit: 1, offset: 0 });
    const info = await refusalOf(upstream.revoke('inv_123'));
    expect(info).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 10 });
    expect(await refusalOf(upstream.existingUsers(['b@example.com']))).toMatchObject({ kind: 'rate-limited' });
    expect(emulator.calls).toHaveLength(3);
  });

  it('sends creates whatever the budget says, and counts them against reads', async () => {
    const { upstream, budget, clock } = limited(3);
    const t0 = clock.t;
    await budget.take('list', 3);
    clock.t += 5_000;
    await upstream.createOne({ emailAddress: 'c@example.com' });
    expect(emulator.calls.map((c) => c.route)).toEqual(['single']);
    clock.t = t0 + 10_000;
    // The three reads have left the window; the create, sent 5 s later, has not.
    await expect.poll(async () => (await budget.status()).remaining).toBe(2);
  });

  it('pauses only the family that met a 429, for its Retry-After, and passes that 429 on', async () => {
    const { upstream, clock } = limited(100);
    emulator.faults.add({ route: 'revoke', fault: 'rate-limit', retryAfterSeconds: 30, times: 1 });
    const error = await upstream.revoke('inv_123').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamFailure);
    expect(error).not.toBeInstanceOf(GeneralLimitRefusal);
    expect((error as UpstreamFailure).info).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 30 });
    expect(await refusalOf(upstream.revoke('inv_456'))).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 30 });
    await upstream.list({ limit: 1, offset: 0 });
    clock.t += 30_000;
    await expect(upstream.revoke('inv_789')).rejects.toMatchObject({ info: { kind: 'rejected', status: 404 } });
    expect(emulator.calls.map((c) => c.route)).toEqual(['revoke', 'list', 'revoke']);
  });

  it('calls a budget store that does not answer not-sent, and sends nothing', async () => {
    const inner = new ClerkUpstream({ secretKey: emulator.secretKeys[0]!, apiUrl: emulator.url, timeoutMs: 2_000 });
    const broken = {
      take: async () => ({ ok: false as const, reason: 'unavailable' as const, retryAfterMs: 2000 }),
      charge: async () => {},
      pause: async () => {},
      status: async () => {
        throw new Error('unused');
      },
    };
    const upstream = new GeneralLimitedUpstream(inner, { budget: broken });
    expect(await refusalOf(upstream.list({ limit: 1, offset: 0 }))).toMatchObject({ kind: 'not-sent' });
    expect(emulator.calls).toHaveLength(0);
  });
});
