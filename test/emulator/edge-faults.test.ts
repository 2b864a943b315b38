import type { ClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, type FaultRule, startEmulator } from '../../src/emulator/index.ts';
import { clerkError, clientFor, rawFetch } from './helpers.ts';

let emulator: Emulator;
let clerk: ClerkClient;
let key: string;

beforeAll(async () => {
  emulator = await startEmulator({ limits: { bulkPerHour: 1000 }, control: true });
  key = emulator.secretKeys[0] as string;
  clerk = clientFor(emulator.url, key);
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

const bulkOf = (...emailAddresses: string[]) =>
  clerk.invitations.createInvitationBulk(emailAddresses.map((emailAddress) => ({ emailAddress })));
const lastCall = () => emulator.calls.at(-1);
const RAY = /^[0-9a-f]{16}-[A-Z]{3}$/;
const statuses = [502, 504, 524] as const;

/** What the SDK sees for an edge page: the status, no Clerk errors, and the cf-ray as trace id. */
async function expectEdgeError(promise: Promise<unknown>, status: number) {
  const error = await clerkError(promise);
  expect([error.status, error.errors]).toEqual([status, []]);
  expect(error.clerkTraceId).toMatch(RAY);
  expect(error.clerkTraceId).toBe(lastCall()?.traceId);
  return error;
}

describe('edge pages on the wire', () => {
  it.each(statuses)('an edge %i is an HTML page with a cf-ray header and no Clerk envelope', async (status) => {
    emulator.faults.add({ route: 'single', fault: 'edge-before-commit', edgeStatus: status });
    const res = await rawFetch(emulator.url, '/v1/invitations', key, {
      method: 'POST',
      body: JSON.stringify({ email_address: 'wire@example.com' }),
    });
    const text = await res.text();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('text/html');
    const ray = res.headers.get('cf-ray') ?? '';
    expect(ray).toMatch(RAY);
    expect(text).toContain(ray);
    expect(text).not.toContain('clerk_trace_id');
    expect(() => JSON.parse(text)).toThrow();
    expect(lastCall()).toMatchObject({ status, traceId: ray, errorCodes: [] });
  });

  it('defaults to 502 and gives every edge page its own ray id', async () => {
    emulator.faults.add({ route: 'list', fault: 'edge-before-commit', times: 2 });
    const first = await expectEdgeError(clerk.invitations.getInvitationList(), 502);
    const second = await expectEdgeError(clerk.invitations.getInvitationList(), 502);
    expect(first.clerkTraceId).not.toBe(second.clerkTraceId);
  });
});

describe('edge-before-commit', () => {
  it.each(statuses)('%i reaches the SDK with errors [] and the cf-ray trace id, and nothing is created', async (status) => {
    emulator.faults.add({ route: 'bulk', fault: 'edge-before-commit', edgeStatus: status });
    await expectEdgeError(bulkOf('before@example.com', 'before2@example.com'), status);
    expect(emulator.invitations()).toEqual([]);
    expect(lastCall()).toMatchObject({ fault: 'edge-before-commit', status, committed: false, invitationIds: [] });
  });
});

describe('edge-after-commit', () => {
  it.each(statuses)('%i hides invitations that were created', async (status) => {
    emulator.faults.add({ route: 'bulk', fault: 'edge-after-commit', edgeStatus: status, times: 1 });
    await expectEdgeError(bulkOf('after@example.com', 'after2@example.com'), status);
    const stored = emulator.invitations();
    expect(stored.map((i) => i.emailAddress)).toEqual(['after@example.com', 'after2@example.com']);
    expect(lastCall()).toMatchObject({ fault: 'edge-after-commit', status, committed: true, invitationIds: stored.map((i) => i.id) });
    // A blind resend is refused as a duplicate: the edge page did not mean "nothing happened".
    const retry = await clerkError(bulkOf('after@example.com'));
    expect(retry.errors[0]?.code).toBe('duplicate_record');
  });

  it('replaces a refusal with the edge page, and the record says nothing was committed', async () => {
    emulator.seedUsers(['taken@example.com']);
    emulator.faults.add({ route: 'single', fault: 'edge-after-commit' });
    await expectEdgeError(clerk.invitations.createInvitation({ emailAddress: 'taken@example.com' }), 502);
    expect(lastCall()).toMatchObject({ committed: false, invitationIds: [] });
  });
});

describe('edge-during-commit', () => {
  it.each(statuses)('%i answers first; the invitation is absent right after the answer and present after the delay', async (status) => {
    emulator.faults.add({ route: 'bulk', fault: 'edge-during-commit', edgeStatus: status, commitDelayMs: 1500 });
    await expectEdgeError(bulkOf('late@example.com'), status);
    const call = lastCall();
    expect(call).toMatchObject({ fault: 'edge-during-commit', status, committed: false, invitationIds: [] });
    // The lookup a careful client makes at once finds nothing yet.
    const lookup = await clerk.invitations.getInvitationList({ query: 'late@example.com' });
    expect(lookup.totalCount).toBe(0);

    await emulator.settleDelayedCommits();
    const stored = emulator.invitations();
    expect(stored.map((i) => i.emailAddress)).toEqual(['late@example.com']);
    expect(call).toMatchObject({ committed: true, invitationIds: [stored[0]?.id] });
    expect((await clerk.invitations.getInvitationList({ query: 'late@example.com' })).totalCount).toBe(1);
  });

  it('a client that resends with ignore_existing after finding nothing ends up with two invitations', async () => {
    emulator.faults.add({ route: 'single', fault: 'edge-during-commit', edgeStatus: 524, commitDelayMs: 1500, times: 1 });
    const first = clerk.invitations.createInvitation({ emailAddress: 'twice@example.com', ignoreExisting: true });
    await expectEdgeError(first, 524);
    expect((await clerk.invitations.getInvitationList({ query: 'twice@example.com' })).totalCount).toBe(0);
    await clerk.invitations.createInvitation({ emailAddress: 'twice@example.com', ignoreExisting: true });
    await emulator.settleDelayedCommits();
    expect(emulator.invitations().map((i) => i.emailAddress)).toEqual(['twice@example.com', 'twice@example.com']);
  });

  it('a resend without ignore_existing wins, and the delayed commit is then refused as a duplicate', async () => {
    emulator.faults.add({ route: 'single', fault: 'edge-during-commit', commitDelayMs: 1500, times: 1 });
    await expectEdgeError(clerk.invitations.createInvitation({ emailAddress: 'race@example.com' }), 502);
    const delayed = lastCall();
    const resent = await clerk.invitations.createInvitation({ emailAddress: 'race@example.com' });
    await emulator.settleDelayedCommits();
    expect(emulator.invitations().map((i) => i.id)).toEqual([resent.id]);
    expect(delayed).toMatchObject({ committed: false, invitationIds: [] });
  });

  it('stamps the invitation with the time of the commit, not of the answer', async () => {
    emulator.faults.add({ route: 'single', fault: 'edge-during-commit', commitDelayMs: 400 });
    await expectEdgeError(clerk.invitations.createInvitation({ emailAddress: 'stamp@example.com' }), 502);
    const arrived = lastCall()?.time as number;
    await emulator.settleDelayedCommits();
    // A few ms of slack: a timer may fire a hair early on the millisecond clock.
    expect(emulator.invitations()[0]?.createdAt).toBeGreaterThanOrEqual(arrived + 400 - 5);
  });

  it('drops a delayed commit when the emulator is reset before it lands', async () => {
    emulator.faults.add({ route: 'single', fault: 'edge-during-commit', commitDelayMs: 300 });
    await expectEdgeError(clerk.invitations.createInvitation({ emailAddress: 'gone@example.com' }), 502);
    emulator.reset();
    await emulator.settleDelayedCommits();
    expect(emulator.invitations()).toEqual([]);
  });

  it('never commits after close(), and settling then does not hang', async () => {
    const em = await startEmulator();
    try {
      em.faults.add({ route: 'single', fault: 'edge-during-commit', commitDelayMs: 200 });
      await clerkError(clientFor(em.url, em.secretKeys[0] as string).invitations.createInvitation({ emailAddress: 'x@example.com' }));
    } finally {
      await em.close();
    }
    await em.settleDelayedCommits();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(em.invitations()).toEqual([]);
  });

  it('uses a default delay when the rule gives none', async () => {
    emulator.faults.add({ route: 'single', fault: 'edge-during-commit' });
    await expectEdgeError(clerk.invitations.createInvitation({ emailAddress: 'default@example.com' }), 502);
    await emulator.settleDelayedCommits();
    expect(emulator.invitations()).toHaveLength(1);
  });
});

describe('edge rule options', () => {
  it('rejects a status the edge does not send and a negative delay, in process and over HTTP', async () => {
    expect(() => emulator.faults.add({ route: 'bulk', fault: 'edge-before-commit', edgeStatus: 500 as 502 })).toThrow(/edgeStatus/);
    expect(() => emulator.faults.add({ route: 'bulk', fault: 'edge-during-commit', commitDelayMs: -1 })).toThrow(/commitDelayMs/);
    const post = (rule: unknown) =>
      fetch(`${emulator.url}/__emulator/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(rule) });
    const bad = await post({ route: 'bulk', fault: 'edge-after-commit', edgeStatus: 503 });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/edgeStatus/);
    const good = await post({ route: 'bulk', fault: 'edge-during-commit', edgeStatus: 524, commitDelayMs: 50 } satisfies FaultRule);
    expect(await good.json()).toEqual([expect.objectContaining({ fault: 'edge-during-commit', edgeStatus: 524, commitDelayMs: 50 })]);
  });
});
