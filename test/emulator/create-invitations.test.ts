import type { ClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { clerkError, clientFor, emails, expectSpecValid, rawFetch, wireOf } from './helpers.ts';

let emulator: Emulator;
let clerk: ClerkClient;
let key: string;

beforeAll(async () => {
  emulator = await startEmulator();
  key = emulator.secretKeys[0] as string;
  clerk = clientFor(emulator.url, key);
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

describe('POST /v1/invitations', () => {
  it('creates an invitation whose body satisfies the spec and the SDK decodes', async () => {
    const invitation = await clerk.invitations.createInvitation({
      emailAddress: 'Ada@Example.com',
      publicMetadata: { team: { id: 7 }, 'Mixed-Key': true },
      expiresInDays: 7,
      redirectUrl: 'https://app.example.com/accept',
    });
    expectSpecValid('invitation', invitation.raw);
    expect(invitation.id).toMatch(/^inv_[0-9A-Za-z]{27}$/);
    expect(invitation.emailAddress).toBe('ada@example.com');
    expect(invitation.publicMetadata).toEqual({ team: { id: 7 }, 'Mixed-Key': true });
    expect(invitation.status).toBe('pending');
    expect(invitation.url).toMatch(/\/v1\/tickets\/accept\?ticket=/);
    expect(wireOf(invitation).expires_at).toBe(invitation.createdAt + 7 * 86_400_000);
    expect(invitation.createdAt).toBe(invitation.updatedAt);
    expect(emulator.invitations()[0]).toMatchObject({ redirectUrl: 'https://app.example.com/accept', notify: true });
  });

  it('defaults expiry to 30 days and public_metadata to {}', async () => {
    const invitation = await clerk.invitations.createInvitation({ emailAddress: 'b@example.com' });
    expect(wireOf(invitation).expires_at).toBe(invitation.createdAt + 30 * 86_400_000);
    expect(invitation.publicMetadata).toEqual({});
  });

  it('answers with Content-Type exactly application/json and a trace id per error', async () => {
    const ok = await rawFetch(emulator.url, '/v1/invitations', key, {
      method: 'POST',
      body: JSON.stringify({ email_address: 'c@example.com' }),
    });
    expect(ok.headers.get('content-type')).toBe('application/json');
    const first = await rawFetch(emulator.url, '/v1/invitations', key, { method: 'POST', body: '{}' });
    const second = await rawFetch(emulator.url, '/v1/invitations', key, { method: 'POST', body: '{}' });
    const [a, b] = [await first.json(), await second.json()];
    expectSpecValid('clerkErrors', a);
    expect(a.clerk_trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(a.clerk_trace_id).not.toBe(b.clerk_trace_id);
  });

  it.each([
    ['missing address', {}, 'form_param_missing', 'email_address'],
    ['unknown field', { email_address: 'd@example.com', role: 'admin' }, 'form_param_unknown', 'role'],
    ['bad email', { email_address: 'not-an-email' }, 'form_param_format_invalid', 'email_address'],
    ['expiry out of range', { email_address: 'd@example.com', expires_in_days: 366 }, 'form_param_value_invalid', 'expires_in_days'],
    ['unknown template', { email_address: 'd@example.com', template_slug: 'welcome' }, 'form_param_value_invalid', 'template_slug'],
    ['wrong type', { email_address: 'd@example.com', notify: 'yes' }, 'form_param_type_invalid', 'notify'],
    ['relative redirect', { email_address: 'd@example.com', redirect_url: 'accept' }, 'form_param_type_invalid', 'redirect_url'],
  ])('rejects %s with 422 %s', async (_name, body, code, param) => {
    const error = await clerkError(clerk.invitations.createInvitation(body as never));
    expect(error.status).toBe(422);
    expect(error.errors).toHaveLength(1);
    expect(error.errors[0]).toMatchObject({ code, meta: { paramName: param } });
    expect(emulator.invitations()).toEqual([]);
  });

  it('rejects a second pending invitation unless ignore_existing is set', async () => {
    await clerk.invitations.createInvitation({ emailAddress: 'e@example.com' });
    const error = await clerkError(clerk.invitations.createInvitation({ emailAddress: 'E@example.com' }));
    expect(error.status).toBe(400);
    expect(error.errors[0]).toMatchObject({
      code: 'duplicate_record',
      message: 'duplicate invitation',
      meta: { emailAddresses: ['e@example.com'] },
    });
    await clerk.invitations.createInvitation({ emailAddress: 'e@example.com', ignoreExisting: true });
    expect(emulator.invitations().map((i) => i.status)).toEqual(['pending', 'pending']);
  });

  it('rejects an address that belongs to a user with 422 form_identifier_exists naming no address', async () => {
    emulator.seedUsers(['user@example.com']);
    const error = await clerkError(clerk.invitations.createInvitation({ emailAddress: 'User@example.com' }));
    expect(error.status).toBe(422);
    expect(error.errors).toHaveLength(1);
    expect(error.errors[0]).toMatchObject({ code: 'form_identifier_exists', meta: { paramName: 'email_address' } });
    expect(JSON.stringify(error.errors)).not.toContain('user@example.com');
    expect(emulator.invitations()).toEqual([]);
  });

  it('creates the invitation for an existing user when ignore_existing is set (single endpoint only)', async () => {
    emulator.seedUsers(['user@example.com']);
    const created = await clerk.invitations.createInvitation({ emailAddress: 'user@example.com', ignoreExisting: true });
    expect(created.status).toBe('pending');
    expect(emulator.invitations().map((i) => [i.id, i.emailAddress])).toEqual([[created.id, 'user@example.com']]);
    expect(emulator.calls.at(-1)).toMatchObject({ route: 'single', status: 200, committed: true, invitationIds: [created.id] });
  });

  it('ignore_existing on a single create passes both a user and a pending invitation for the address', async () => {
    emulator.seedUsers(['both@example.com']);
    emulator.seedInvitations([{ emailAddress: 'both@example.com' }]);
    await clerk.invitations.createInvitation({ emailAddress: 'both@example.com', ignoreExisting: true });
    expect(emulator.invitations().map((i) => i.status)).toEqual(['pending', 'pending']);
  });

  it('answers malformed JSON and a non-JSON content type like Clerk', async () => {
    const broken = await rawFetch(emulator.url, '/v1/invitations', key, { method: 'POST', body: '{"email_address":' });
    expect(broken.status).toBe(400);
    expect((await broken.json()).errors[0].code).toBe('request_body_invalid');
    const form = await rawFetch(emulator.url, '/v1/invitations', key, {
      method: 'POST',
      body: 'email_address=a@example.com',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
  });
});

describe('POST /v1/invitations/bulk', () => {
  it('creates every item and returns a spec-valid array in request order', async () => {
    const addresses = emails(10);
    const created = await clerk.invitations.createInvitationBulk(addresses.map((emailAddress) => ({ emailAddress })));
    expect(created.map((i) => i.emailAddress)).toEqual(addresses);
    for (const invitation of created) expectSpecValid('invitation', invitation.raw);
    expectSpecValid(
      'invitationList',
      created.map((i) => i.raw),
    );
    expect(new Set(created.map((i) => i.id)).size).toBe(10);
  });

  it('creates nothing when one item has a pending invitation, and lists the duplicates', async () => {
    await clerk.invitations.createInvitationBulk([{ emailAddress: 'p0@example.com' }, { emailAddress: 'p1@example.com' }]);
    const error = await clerkError(
      clerk.invitations.createInvitationBulk([
        { emailAddress: 'new@example.com' },
        { emailAddress: 'p0@example.com' },
        { emailAddress: 'p1@example.com' },
      ]),
    );
    expect(error.status).toBe(400);
    expect(error.errors).toHaveLength(1);
    expect(error.errors[0]).toMatchObject({
      code: 'duplicate_record',
      message: 'duplicate invitations',
      meta: { emailAddresses: ['p0@example.com', 'p1@example.com'] },
    });
    expect(emulator.invitations()).toHaveLength(2);
  });

  it('lets ignore_existing bypass a pending invitation per item', async () => {
    await clerk.invitations.createInvitation({ emailAddress: 'again@example.com' });
    const created = await clerk.invitations.createInvitationBulk([
      { emailAddress: 'again@example.com', ignoreExisting: true },
      { emailAddress: 'fresh@example.com' },
    ]);
    expect(created).toHaveLength(2);
  });

  it('rejects the whole call with 422 form_identifier_exists for a user, even with ignore_existing', async () => {
    emulator.seedUsers(['member@example.com']);
    const error = await clerkError(
      clerk.invitations.createInvitationBulk([
        { emailAddress: 'ok@example.com' },
        { emailAddress: 'member@example.com', ignoreExisting: true },
      ]),
    );
    expect(error.status).toBe(422);
    expect(error.errors).toHaveLength(1);
    expect(error.errors[0]).toMatchObject({ code: 'form_identifier_exists', meta: { paramName: 'email_address' } });
    expect(JSON.stringify(error.errors)).not.toContain('member@example.com');
    expect(emulator.invitations()).toEqual([]);
    expect(emulator.calls.at(-1)).toMatchObject({ route: 'bulk', status: 422, committed: false, invitationIds: [] });
  });

  it('refuses a bulk of only ignore_existing items when one is a user, though single would create it', async () => {
    emulator.seedUsers(['solo@example.com']);
    const bulk = await clerkError(clerk.invitations.createInvitationBulk([{ emailAddress: 'solo@example.com', ignoreExisting: true }]));
    expect([bulk.status, bulk.errors.map((e) => e.code)]).toEqual([422, ['form_identifier_exists']]);
    expect(emulator.invitations()).toEqual([]);
    await clerk.invitations.createInvitation({ emailAddress: 'solo@example.com', ignoreExisting: true });
    expect(emulator.invitations()).toHaveLength(1);
  });

  it('rejects more than 10 items with 400 bulk_size_exceeded', async () => {
    const error = await clerkError(
      clerk.invitations.createInvitationBulk(emails(11).map((emailAddress) => ({ emailAddress }))),
    );
    expect(error.status).toBe(400);
    expect(error.errors.map((e) => e.code)).toEqual(['bulk_size_exceeded']);
    expect(emulator.invitations()).toEqual([]);
  });

  it('concatenates one error per bad item, without an index, and creates nothing', async () => {
    const error = await clerkError(
      clerk.invitations.createInvitationBulk([
        { emailAddress: 'bad-one' },
        { emailAddress: 'good@example.com' },
        { emailAddress: 'bad two@example.com' },
      ]),
    );
    expect(error.status).toBe(422);
    expect(error.errors.map((e) => [e.code, e.meta?.paramName])).toEqual([
      ['form_param_format_invalid', 'email_address'],
      ['form_param_format_invalid', 'email_address'],
    ]);
    expect(emulator.invitations()).toEqual([]);
  });

  it('rejects the same address twice in one body (documented choice)', async () => {
    const error = await clerkError(
      clerk.invitations.createInvitationBulk([{ emailAddress: 'twice@example.com' }, { emailAddress: 'TWICE@example.com' }]),
    );
    expect(error.status).toBe(422);
    expect(error.errors[0]).toMatchObject({ code: 'form_param_duplicate', meta: { paramName: 'email_address' } });
  });

  it('treats an empty array (sent by the SDK as no body) and a non-array body as request_body_invalid', async () => {
    const empty = await clerkError(clerk.invitations.createInvitationBulk([]));
    expect([empty.status, empty.errors[0]?.code]).toEqual([400, 'request_body_invalid']);
    const object = await rawFetch(emulator.url, '/v1/invitations/bulk', key, {
      method: 'POST',
      body: JSON.stringify({ email_address: 'x@example.com' }),
    });
    expect(object.status).toBe(400);
  });

  it('applies the spec bounds per item (expires_in_days 1..365, nullable fields)', async () => {
    const created = await clerk.invitations.createInvitationBulk([
      { emailAddress: 'n@example.com', expiresInDays: 365, notify: null, publicMetadata: null } as never,
    ]);
    expect(wireOf(created[0] as { raw: unknown }).expires_at).toBe((created[0]?.createdAt ?? 0) + 365 * 86_400_000);
    const error = await clerkError(clerk.invitations.createInvitationBulk([{ emailAddress: 'm@example.com', expiresInDays: 0 }]));
    expect(error.errors[0]).toMatchObject({ code: 'form_param_value_invalid', meta: { paramName: 'expires_in_days' } });
  });
});
