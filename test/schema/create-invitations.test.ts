import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emails, outcome, startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(() => stack.close());

describe('createInvitations against the emulator', () => {
  it('creates invitations and answers in input order with Clerk\'s data', async () => {
    const payload = await stack.invite([{ emailAddress: 'ada@example.com', expiresInDays: 7, publicMetadata: { team: 'r' } }, 'grace@example.com']);
    expect(payload).toMatchObject({ createdCount: 2, failedCount: 0 });
    expect(payload.results.map((r) => r.__typename === 'InvitationCreated' && r.invitation.emailAddress)).toEqual(['ada@example.com', 'grace@example.com']);
    const stored = stack.emulator.invitations();
    expect(stored.map((i) => i.emailAddress).sort()).toEqual(['ada@example.com', 'grace@example.com']);
    const ada = payload.results[0]!;
    if (ada.__typename !== 'InvitationCreated') throw new Error('not created');
    expect(ada.invitation.id).toBe(stored.find((i) => i.emailAddress === 'ada@example.com')!.id);
    const days = (Date.parse(ada.invitation.expiresAt!) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);
  });

  it('packs 37 concurrent single-invitation requests into 4 bulk calls of 10, 10, 10 and 7', async () => {
    const addresses = emails(37);
    const payloads = await Promise.all(addresses.map((a) => stack.invite([a])));
    payloads.forEach((p, i) => {
      const r = p.results[0]!;
      expect(r.__typename === 'InvitationCreated' && r.invitation.emailAddress).toBe(addresses[i]);
    });
    // Calls leave concurrently, so they may reach Clerk in any order.
    expect(stack.bulkCalls().map((c) => (c.body as unknown[]).length).sort((a, b) => b - a)).toEqual([10, 10, 10, 7]);
    expect(stack.singleCalls()).toHaveLength(0);
  });

  it('one duplicate among 10: 9 created, 1 ALREADY_INVITED, one extra bulk call', async () => {
    await stack.invite(['dup@example.com']);
    const before = stack.bulkCalls().length + stack.singleCalls().length;
    const batch = [...emails(9), 'dup@example.com'];
    const payload = await stack.invite(batch);
    expect(payload.results.map(outcome)).toEqual([...Array(9).fill('CREATED'), 'ALREADY_INVITED']);
    const calls = stack.bulkCalls().length + stack.singleCalls().length - before;
    expect(calls).toBe(2);
    expect(stack.emulator.invitations().filter((i) => i.emailAddress === 'dup@example.com')).toHaveLength(1);
  });

  it('one existing user among 10: 9 created, 1 USER_EXISTS, found with one user lookup and one more bulk call', async () => {
    stack.emulator.seedUsers(['taken@example.com']);
    const batch = [...emails(4), 'taken@example.com', ...emails(5, 'more')];
    const payload = await stack.invite(batch);
    expect(payload.results.map(outcome)).toEqual([...Array(4).fill('CREATED'), 'USER_EXISTS', ...Array(5).fill('CREATED')]);
    expect(stack.bulkCalls()).toHaveLength(2);
    expect(stack.singleCalls()).toHaveLength(0);
    expect(stack.emulator.calls.filter((c) => c.route === 'users')).toHaveLength(1);
    expect(stack.emulator.invitations()).toHaveLength(9);
  });

  it('when the user lookup fails too, isolates the existing user with single creates', async () => {
    stack.emulator.seedUsers(['taken@example.com']);
    stack.emulator.faults.add({ route: 'users', fault: 'error500-before-commit' });
    const batch = [...emails(4), 'taken@example.com', ...emails(5, 'more')];
    const payload = await stack.invite(batch);
    expect(payload.results.map(outcome)).toEqual([...Array(4).fill('CREATED'), 'USER_EXISTS', ...Array(5).fill('CREATED')]);
    expect(stack.bulkCalls()).toHaveLength(1);
    expect(stack.singleCalls()).toHaveLength(10);
    expect(stack.emulator.invitations()).toHaveLength(9);
  });

  it('fails invalid items alone, naming the field and the item, and never sends them', async () => {
    const payload = await stack.invite([
      'good@example.com',
      'not-an-email',
      { emailAddress: 'days@example.com', expiresInDays: 0 },
      { emailAddress: 'url@example.com', redirectUrl: 'javascript:alert(1)' },
      { emailAddress: 'meta@example.com', publicMetadata: { blob: 'x'.repeat(9000) } },
      'GOOD@example.com',
    ]);
    expect(payload.results.map(outcome)).toEqual(['CREATED', 'INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT']);
    const messages = payload.results.map((r) => (r.__typename === 'InvitationFailed' ? r.message : ''));
    expect(messages[1]).toMatch(/^invitations\[1\]\.emailAddress/);
    expect(messages[2]).toMatch(/^invitations\[2\]\.expiresInDays: must be between 1 and 365 \(got 0\)/);
    expect(messages[3]).toMatch(/^invitations\[3\]\.redirectUrl/);
    expect(messages[4]).toMatch(/^invitations\[4\]\.publicMetadata: .*8192-byte/);
    expect(messages[5]).toMatch(/^invitations\[5\]\.emailAddress: duplicate in the request .*invitations\[0\]/);
    const sent = stack.emulator.calls.flatMap((c) => (Array.isArray(c.body) ? c.body : [c.body])).map((b: any) => b?.email_address);
    expect(sent).toEqual(['good@example.com']);
  });

  it('rejects an empty list and an oversized one as a whole, sending nothing', async () => {
    for (const invitations of [[], emails(101).map((emailAddress) => ({ emailAddress }))]) {
      const { body } = await stack.request('mutation ($i: [InvitationInput!]!) { createInvitations(invitations: $i) { createdCount } }', { i: invitations });
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(body.errors?.[0]?.message).toMatch(/^invitations: /);
    }
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it('sends an address asked for by two concurrent requests once; the later one learns ALREADY_INVITED', async () => {
    const [a, b] = await Promise.all([stack.invite(['same@example.com']), stack.invite(['same@example.com'])]);
    expect([outcome(a.results[0]!), outcome(b.results[0]!)]).toEqual(['CREATED', 'ALREADY_INVITED']);
    expect(stack.emulator.invitations()).toHaveLength(1);
    // One call: the later asker waited for the first instead of being refused by Clerk.
    expect(stack.emulator.calls.filter((c) => c.route === 'single' || c.route === 'bulk')).toHaveLength(1);
  });

  it('carries Clerk\'s trace id on failures Clerk reported', async () => {
    await stack.invite(['t@example.com']);
    const payload = await stack.invite(['t@example.com']);
    const r = payload.results[0]!;
    expect(r.__typename === 'InvitationFailed' && r.clerkTraceId).toMatch(/\S+/);
  });
});

describe('createInvitations with UPSTREAM_CHANNELS=bulk', () => {
  it('without the user lookup, finds an existing user among 10 by splitting, within 2·ceil(log2 10) extra bulk calls', async () => {
    await stack.close();
    stack = await startStack({ env: { UPSTREAM_CHANNELS: 'bulk' } });
    stack.emulator.seedUsers(['taken@example.com']);
    stack.emulator.faults.add({ route: 'users', fault: 'error500-before-commit' });
    const batch = [...emails(7), 'taken@example.com', ...emails(2, 'more')];
    const payload = await stack.invite(batch);
    expect(payload.results.map(outcome)).toEqual([...Array(7).fill('CREATED'), 'USER_EXISTS', 'CREATED', 'CREATED']);
    expect(stack.singleCalls()).toHaveLength(0);
    expect(stack.bulkCalls().length - 1).toBeLessThanOrEqual(8);
    // Asked once for the whole batch, not again for every half.
    expect(stack.emulator.calls.filter((c) => c.route === 'users')).toHaveLength(1);
    expect(stack.emulator.invitations()).toHaveLength(9);
  });
});
