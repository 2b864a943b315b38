import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchDispatcher } from '../../src/batcher/dispatcher.ts';
import type { ChannelPolicy } from '../../src/batcher/channel-policy.ts';
import { MemoryBudget } from '../../src/budget/index.ts';
import { ClerkUpstream } from '../../src/clerk/upstream.ts';
import { startEmulator, type Emulator, type FaultRule } from '../../src/emulator/index.ts';
import type { InvitationOutcome } from '../../src/invitations/types.ts';

let emulator: Emulator;
beforeEach(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterEach(() => emulator.close());

/** One gateway replica: its own dispatcher, budget and view of Clerk's clock. */
function replica({ policy = 'bulk' as ChannelPolicy, timeoutMs = 1_000 } = {}) {
  const budget = new MemoryBudget({ bulkPerHour: 25, singlePerHour: 100 });
  const upstream = new ClerkUpstream({ secretKey: emulator.secretKeys[0]!, apiUrl: emulator.url, timeoutMs });
  return new BatchDispatcher({ upstream, budget, policy, bulkPerHour: 25, singlePerHour: 100, upstreamTimeoutMs: timeoutMs });
}

const code = (r: InvitationOutcome) => (r.kind === 'created' ? 'CREATED' : r.code);
const fault = (rule: FaultRule) => emulator.faults.add(rule);
const invitationsOf = (email: string) => emulator.invitations().filter((i) => i.emailAddress === email);
const creates = () => emulator.calls.filter((c) => c.route === 'bulk' || c.route === 'single');
const soon = () => Date.now() + 8_000;

describe('reconciliation claims only what the call itself created', () => {
  it('does not hand one caller another caller\'s invitation when Clerk failed before committing', async () => {
    const gateway = replica();
    const [first] = await gateway.send([{ emailAddress: 'x@example.com', publicMetadata: { team: 'a' } }]);
    expect(code(first!)).toBe('CREATED');
    fault({ route: 'bulk', fault: 'error500-before-commit', times: 1 });
    const [second] = await gateway.send([{ emailAddress: 'x@example.com', publicMetadata: { team: 'b' } }], soon());
    expect(second).toMatchObject({ kind: 'failed', code: 'ALREADY_INVITED' });
    expect(invitationsOf('x@example.com')).toHaveLength(1);
  });

  it('does not claim an invitation it already reported, even one with identical parameters', async () => {
    const gateway = replica();
    const [first] = await gateway.send([{ emailAddress: 'same@example.com' }]);
    fault({ route: 'bulk', fault: 'error500-before-commit', times: 1 });
    const [second] = await gateway.send([{ emailAddress: 'same@example.com' }], soon());
    expect(second).toMatchObject({ kind: 'failed', code: 'ALREADY_INVITED' });
    expect(first!.kind === 'created' && first!.invitation.id).toBe(invitationsOf('same@example.com')[0]!.id);
  });

  it('does not claim an older invitation with identical parameters that another replica made', async () => {
    // Made by someone else a minute ago, by Clerk's clock: this replica never saw it.
    emulator.seedInvitations([{ emailAddress: 'older@example.com', createdAt: emulator.now() - 60_000 }]);
    fault({ route: 'bulk', fault: 'error500-before-commit', times: 1 });
    const [result] = await replica().send([{ emailAddress: 'older@example.com' }], soon());
    expect(result).toMatchObject({ kind: 'failed', code: 'ALREADY_INVITED' });
    expect(invitationsOf('older@example.com')).toHaveLength(1);
  });

  it('does not claim a newer invitation whose parameters differ from what the call sent', async () => {
    // Clerk committed someone else's invitation for the address; ours failed before committing.
    fault({ route: 'bulk', fault: 'error500-before-commit', times: 1 });
    const other = replica();
    const mine = replica();
    const pending = mine.send([{ emailAddress: 'race@example.com', ignoreExisting: true, publicMetadata: { mine: true } }], soon());
    await other.send([{ emailAddress: 'race@example.com', publicMetadata: { theirs: true } }]);
    const [result] = await pending;
    // Clerk answered (its envelope), so ours provably does not exist and may be sent again, once.
    expect(code(result!)).toBe('CREATED');
    expect(result!.kind === 'created' && result!.invitation.publicMetadata).toEqual({ mine: true });
    expect(invitationsOf('race@example.com').map((i) => i.publicMetadata)).toEqual(expect.arrayContaining([{ theirs: true }, { mine: true }]));
  });

  it('calls the outcome unknown, never claims the twin, when another identical invitation lands while its own call is unanswered', async () => {
    // Clerk commits this replica's call after 450 ms; the replica gives up at 300 ms. Meanwhile another
    // client's identical invitation lands at once: the first lookup sees only that one.
    fault({ route: 'bulk', fault: 'latency', latencyMs: 450, times: 1 });
    const pending = replica({ timeoutMs: 300 }).send([{ emailAddress: 'twin@example.com', ignoreExisting: true }], soon());
    await new Promise((r) => setTimeout(r, 20));
    const [theirs] = await replica().send([{ emailAddress: 'twin@example.com', ignoreExisting: true }]);
    const [result] = await pending;
    expect(result).toMatchObject({ kind: 'failed', code: 'OUTCOME_UNKNOWN', retryable: false });
    expect(theirs!.kind).toBe('created');
    expect(invitationsOf('twin@example.com')).toHaveLength(2);
  });

  it.each([-30_000, 30_000])('with Clerk\'s clock %i ms off, finds what a failed call committed and never resends it', async (offset) => {
    emulator.advanceClock(offset);
    fault({ route: 'bulk', fault: 'error500-after-commit', times: 1 });
    const [result] = await replica().send([{ emailAddress: 'skew@example.com', ignoreExisting: true }], soon());
    expect(code(result!)).toBe('CREATED');
    expect(invitationsOf('skew@example.com')).toHaveLength(1);
    expect(creates()).toHaveLength(1);
  });
});

describe('an edge page is not Clerk answering', () => {
  it.each([502, 504, 524] as const)('after a %i edge page while Clerk still commits, reports the invitation that lands and never sends it twice', async (edgeStatus) => {
    fault({ route: 'bulk', fault: 'edge-during-commit', edgeStatus, commitDelayMs: 300, times: 1 });
    const [result] = await replica({ timeoutMs: 500 }).send([{ emailAddress: 'edge@example.com', ignoreExisting: true }], soon());
    await emulator.settleDelayedCommits();
    expect(code(result!)).toBe('CREATED');
    expect(invitationsOf('edge@example.com')).toHaveLength(1);
    expect(result!.kind === 'created' && result!.invitation.id).toBe(invitationsOf('edge@example.com')[0]!.id);
    expect(creates()).toHaveLength(1);
  });

  it('after an edge page before commit, sends an item without ignoreExisting again once the second look finds nothing', async () => {
    fault({ route: 'bulk', fault: 'edge-before-commit', times: 1 });
    const [result] = await replica({ timeoutMs: 300 }).send([{ emailAddress: 'edge-lost@example.com' }], soon());
    expect(code(result!)).toBe('CREATED');
    expect(invitationsOf('edge-lost@example.com')).toHaveLength(1);
  });
});

describe('a replica that starts with no budget memory', () => {
  it('lets at most one call per channel meet a 429 when Clerk\'s hour is already spent', async () => {
    await emulator.close();
    emulator = await startEmulator({ port: 0, limits: { bulkPerHour: 1, singlePerHour: 1 } });
    const before = replica({ policy: 'auto' });
    await before.send([{ emailAddress: 'spent-bulk-1@example.com' }, ...Array.from({ length: 4 }, (_, i) => ({ emailAddress: `b${i}@example.com` }))]);
    await before.send([{ emailAddress: 'spent-single@example.com' }]);
    const mark = emulator.calls.length;
    // A restarted replica: fresh memory budget, 40 requests at once, in batches of both sizes.
    const restarted = replica({ policy: 'auto' });
    const batches = Array.from({ length: 8 }, (_, b) =>
      Array.from({ length: b % 2 ? 2 : 5 }, (_, i) => ({ emailAddress: `r${b}-${i}@example.com` })),
    );
    const results = (await Promise.all(batches.map((batch) => restarted.send(batch, soon())))).flat();
    expect(results.every((r) => r.kind === 'failed' && r.code === 'RATE_LIMITED' && r.retryable)).toBe(true);
    const rateLimited = emulator.calls.slice(mark).filter((c) => c.status === 429);
    expect(rateLimited.filter((c) => c.route === 'bulk').length).toBeLessThanOrEqual(1);
    expect(rateLimited.filter((c) => c.route === 'single').length).toBeLessThanOrEqual(1);
  });
});
