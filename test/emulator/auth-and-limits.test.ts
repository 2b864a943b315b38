import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../src/emulator/index.ts';
import { clerkError, clientFor, rawFetch } from './helpers.ts';

const HOUR = 3_600_000;
let emulator: Emulator | undefined;
afterEach(() => emulator?.close());

async function start(options: EmulatorOptions = {}) {
  emulator = await startEmulator(options);
  return emulator;
}

describe('authentication', () => {
  it('answers 401 clerk_key_invalid for an unknown key and records no instance', async () => {
    const em = await start();
    const error = await clerkError(clientFor(em.url, 'sk_test_unknown').invitations.getInvitationList());
    expect([error.status, error.errors[0]?.code]).toEqual([401, 'clerk_key_invalid']);
    expect(em.calls.at(-1)).toMatchObject({ status: 401, instance: null, route: null });
  });

  it.each([
    ['missing', undefined],
    ['not bearer', 'Basic abc'],
    ['empty bearer', 'Bearer '],
  ])('answers 401 authorization_header_format_invalid when the header is %s', async (_name, header) => {
    const em = await start();
    const res = await fetch(`${em.url}/v1/invitations`, { headers: header ? { Authorization: header } : {} });
    const body = await res.json();
    expect([res.status, body.errors[0].code]).toEqual([401, 'authorization_header_format_invalid']);
  });

  it('keeps each secret key a separate instance with its own data', async () => {
    const em = await start({ secretKeys: ['sk_test_one', 'sk_test_two'] });
    await clientFor(em.url, 'sk_test_one').invitations.createInvitation({ emailAddress: 'a@example.com' });
    const other = await clientFor(em.url, 'sk_test_two').invitations.getInvitationList();
    expect(other.totalCount).toBe(0);
    await clientFor(em.url, 'sk_test_two').invitations.createInvitation({ emailAddress: 'a@example.com' });
    expect([em.invitations('sk_test_one').length, em.invitations('sk_test_two').length]).toEqual([1, 1]);
  });

  it('answers 400 api_version_invalid for a malformed Clerk-API-Version header', async () => {
    const em = await start();
    const res = await rawFetch(em.url, '/v1/invitations', em.secretKeys[0] as string, {
      headers: { 'Clerk-API-Version': 'latest' },
    });
    expect([res.status, (await res.json()).errors[0].code]).toEqual([400, 'api_version_invalid']);
  });

  it('answers 404 resource_not_found for routes it does not serve', async () => {
    const em = await start();
    const res = await rawFetch(em.url, '/v1/organizations', em.secretKeys[0] as string);
    expect([res.status, (await res.json()).errors[0].code]).toEqual([404, 'resource_not_found']);
  });
});

describe('hourly limits', () => {
  it('refuses the bulk call after the limit with 429 and an integer retryAfter on the SDK error', async () => {
    let clock = 1_000_000_000;
    const em = await start({ limits: { bulkPerHour: 3 }, now: () => clock });
    const clerk = clientFor(em.url, em.secretKeys[0] as string);
    for (let i = 0; i < 3; i += 1) {
      await clerk.invitations.createInvitationBulk([{ emailAddress: `b${i}@example.com` }]);
      clock += 60_000;
    }
    const error = await clerkError(clerk.invitations.createInvitationBulk([{ emailAddress: 'late@example.com' }]));
    expect([error.status, error.errors[0]?.code]).toEqual([429, 'too_many_requests']);
    // The first call leaves the window 3600 s after it was made; 180 s have passed since.
    expect(error.retryAfter).toBe(3420);
    expect(em.invitations().map((i) => i.emailAddress)).not.toContain('late@example.com');

    clock += 3420 * 1000;
    await clerk.invitations.createInvitationBulk([{ emailAddress: 'late@example.com' }]);
  });

  it('counts the single and bulk channels separately', async () => {
    const em = await start({ limits: { bulkPerHour: 1, singlePerHour: 2 } });
    const clerk = clientFor(em.url, em.secretKeys[0] as string);
    await clerk.invitations.createInvitationBulk([{ emailAddress: 'a@example.com' }]);
    await clerk.invitations.createInvitation({ emailAddress: 'b@example.com' });
    await clerk.invitations.createInvitation({ emailAddress: 'c@example.com' });
    expect((await clerkError(clerk.invitations.createInvitation({ emailAddress: 'd@example.com' }))).status).toBe(429);
    expect((await clerkError(clerk.invitations.createInvitationBulk([{ emailAddress: 'e@example.com' }]))).status).toBe(429);
    // Reads are not in an invitation channel.
    await clerk.invitations.getInvitationList();
  });

  it('counts rejected (4xx) calls, but not the 429s themselves, and limits each instance alone', async () => {
    let clock = 0;
    const em = await start({ secretKeys: ['sk_test_a', 'sk_test_b'], limits: { bulkPerHour: 2 }, now: () => clock });
    const a = clientFor(em.url, 'sk_test_a');
    await clerkError(a.invitations.createInvitationBulk([{ emailAddress: 'not-an-email' }]));
    await clerkError(a.invitations.createInvitationBulk(Array.from({ length: 11 }, (_, i) => ({ emailAddress: `x${i}@e.com` }))));
    clock += 10_000;
    for (let i = 0; i < 3; i += 1) {
      const refused = await clerkError(a.invitations.createInvitationBulk([{ emailAddress: 'ok@example.com' }]));
      expect([refused.status, refused.retryAfter]).toEqual([429, 3590]);
    }
    await clientFor(em.url, 'sk_test_b').invitations.createInvitationBulk([{ emailAddress: 'ok@example.com' }]);
    clock = HOUR;
    await a.invitations.createInvitationBulk([{ emailAddress: 'ok@example.com' }]);
  });

  it('moves the window with advanceClock as well as with the injected clock', async () => {
    const em = await start({ limits: { singlePerHour: 1 } });
    const clerk = clientFor(em.url, em.secretKeys[0] as string);
    await clerk.invitations.createInvitation({ emailAddress: 'a@example.com' });
    expect((await clerkError(clerk.invitations.createInvitation({ emailAddress: 'b@example.com' }))).status).toBe(429);
    em.advanceClock(HOUR);
    await clerk.invitations.createInvitation({ emailAddress: 'b@example.com' });
  });

  it('applies the optional general limit per 10 s to every route but jwks', async () => {
    let clock = 0;
    const em = await start({ limits: { generalPer10s: 2 }, now: () => clock });
    const clerk = clientFor(em.url, em.secretKeys[0] as string);
    await clerk.invitations.getInvitationList();
    await clerk.invitations.createInvitation({ emailAddress: 'a@example.com' });
    const refused = await clerkError(clerk.invitations.getInvitationList());
    expect([refused.status, refused.retryAfter]).toEqual([429, 10]);
    await clerk.jwks.getJwks();
    clock += 10_000;
    await clerk.invitations.getInvitationList();
  });

  it('counts the per-hour limits over a shortened window: the configured calls, a 429, a refill', async () => {
    let clock = 1_000_000_000;
    const em = await start({ limits: { bulkPerHour: 3, singlePerHour: 2, orgBulkPerHour: 1, windowMs: 10_000 }, now: () => clock });
    em.seedOrganization({ id: 'org_window', name: 'Window' });
    const clerk = clientFor(em.url, em.secretKeys[0] as string);
    for (let i = 0; i < 3; i += 1) {
      await clerk.invitations.createInvitationBulk([{ emailAddress: `b${i}@example.com` }]);
      clock += 1000;
    }
    const refused = await clerkError(clerk.invitations.createInvitationBulk([{ emailAddress: 'late@example.com' }]));
    // The first call leaves the 10 s window 7 s from now, not an hour.
    expect([refused.status, refused.retryAfter]).toEqual([429, 7]);
    await clerk.invitations.createInvitation({ emailAddress: 's0@example.com' });
    await clerk.invitations.createInvitation({ emailAddress: 's1@example.com' });
    expect((await clerkError(clerk.invitations.createInvitation({ emailAddress: 's2@example.com' }))).retryAfter).toBe(10);
    const org = { role: 'org:member' };
    await clerk.organizations.createOrganizationInvitationBulk('org_window', [{ ...org, emailAddress: 'o0@example.com' }]);
    const orgRefused = await clerkError(clerk.organizations.createOrganizationInvitationBulk('org_window', [{ ...org, emailAddress: 'o1@example.com' }]));
    expect([orgRefused.status, orgRefused.retryAfter]).toEqual([429, 10]);
    clock += 7000 - 1;
    expect((await clerkError(clerk.invitations.createInvitationBulk([{ emailAddress: 'late@example.com' }]))).status).toBe(429);
    clock += 1;
    await clerk.invitations.createInvitationBulk([{ emailAddress: 'late@example.com' }]);
    clock += 10_000;
    await clerk.invitations.createInvitation({ emailAddress: 's2@example.com' });
    await clerk.organizations.createOrganizationInvitationBulk('org_window', [{ ...org, emailAddress: 'o1@example.com' }]);
  });

  it('refuses invalid limit options at start-up', async () => {
    await expect(startEmulator({ limits: { bulkPerHour: 0 } })).rejects.toThrow(/bulkPerHour/);
    await expect(startEmulator({ limits: { windowMs: 0 } })).rejects.toThrow(/windowMs/);
  });
});
