import type { ClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { clerkError, clientFor, expectSpecValid, rawFetch } from './helpers.ts';

const DAY = 86_400_000;
let clock = Date.UTC(2026, 0, 1);
let emulator: Emulator;
let clerk: ClerkClient;
let key: string;

beforeAll(async () => {
  emulator = await startEmulator({ now: () => clock });
  key = emulator.secretKeys[0] as string;
  clerk = clientFor(emulator.url, key);
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  clock = Date.UTC(2026, 0, 1);
});

/** Creates invitations one tick apart so creation order is unambiguous. */
async function createSeries(addresses: string[]) {
  const created = [];
  for (const emailAddress of addresses) {
    created.push(await clerk.invitations.createInvitation({ emailAddress }));
    clock += 1000;
  }
  return created;
}

describe('GET /v1/invitations', () => {
  it('answers the SDK with a spec-valid { data, total_count } envelope, newest first, revoked excluded', async () => {
    const [a, b, c] = await createSeries(['a@example.com', 'b@example.com', 'c@example.com']);
    await clerk.invitations.revokeInvitation(b?.id as string);
    const list = await clerk.invitations.getInvitationList();
    expect(list.totalCount).toBe(2);
    expect(list.data.map((i) => i.id)).toEqual([c?.id, a?.id]);
    expectSpecValid(
      'invitationList',
      list.data.map((i) => i.raw),
    );
    // List answers carry no ticket url, as Clerk only returns it on create.
    expect(list.data[0]?.raw).not.toHaveProperty('url');
  });

  it('filters by status and query, orders by email, and pages with limit/offset', async () => {
    await createSeries(['zed@example.com', 'amy@example.com', 'max@other.org']);
    const revoked = await clerk.invitations.createInvitation({ emailAddress: 'gone@example.com' });
    await clerk.invitations.revokeInvitation(revoked.id);

    const onlyRevoked = await clerk.invitations.getInvitationList({ status: 'revoked' });
    expect(onlyRevoked.data.map((i) => i.emailAddress)).toEqual(['gone@example.com']);
    const byQuery = await clerk.invitations.getInvitationList({ query: 'EXAMPLE.com' });
    expect(byQuery.totalCount).toBe(2);
    const byId = await clerk.invitations.getInvitationList({ query: revoked.id, status: 'revoked' });
    expect(byId.data.map((i) => i.id)).toEqual([revoked.id]);
    const ordered = await clerk.invitations.getInvitationList({ orderBy: '+email_address' });
    expect(ordered.data.map((i) => i.emailAddress)).toEqual(['amy@example.com', 'max@other.org', 'zed@example.com']);
    const page = await clerk.invitations.getInvitationList({ orderBy: 'email_address', limit: 1, offset: 1 });
    expect([page.totalCount, page.data.map((i) => i.emailAddress)]).toEqual([3, ['max@other.org']]);
  });

  it('pages to 10 by default with paginated=true, and returns a plain array without it', async () => {
    emulator.seedInvitations(Array.from({ length: 12 }, (_, i) => ({ emailAddress: `s${i}@example.com` })));
    const page = await clerk.invitations.getInvitationList();
    expect([page.data.length, page.totalCount]).toEqual([10, 12]);
    const plain = await rawFetch(emulator.url, '/v1/invitations', key);
    const body = await plain.json();
    expect(Array.isArray(body)).toBe(true);
    expect(body).toHaveLength(12);
    expectSpecValid('invitationList', body);
    const limited = await (await rawFetch(emulator.url, '/v1/invitations?limit=3', key)).json();
    expect(limited).toHaveLength(3);
  });

  it('rejects out-of-range limit, unknown status and unknown order field with 422', async () => {
    for (const [query, param] of [
      ['limit=501', 'limit'],
      ['limit=0', 'limit'],
      ['status=sent', 'status'],
      ['order_by=-name', 'order_by'],
      ['offset=-1', 'offset'],
    ]) {
      const res = await rawFetch(emulator.url, `/v1/invitations?paginated=true&${query}`, key);
      const body = await res.json();
      expect([res.status, body.errors[0].code, body.errors[0].meta.param_name], query).toEqual([
        422,
        expect.stringMatching(/^form_param_(value|type)_invalid$/),
        param,
      ]);
    }
  });

  it('derives expired from expires_at on the emulator clock', async () => {
    const invitation = await clerk.invitations.createInvitation({ emailAddress: 'soon@example.com', expiresInDays: 1 });
    clock += DAY;
    const expired = await clerk.invitations.getInvitationList({ status: 'expired' });
    expect(expired.data.map((i) => [i.id, i.status])).toEqual([[invitation.id, 'expired']]);
    // An expired invitation no longer blocks a new one.
    await clerk.invitations.createInvitation({ emailAddress: 'soon@example.com' });
  });
});

describe('POST /v1/invitations/{id}/revoke', () => {
  it('revokes a pending invitation with a body valid against Invitation.Revoked', async () => {
    const invitation = await clerk.invitations.createInvitation({ emailAddress: 'r@example.com' });
    clock += 5000;
    const revoked = await clerk.invitations.revokeInvitation(invitation.id);
    expectSpecValid('invitationRevoked', revoked.raw);
    expect([revoked.status, revoked.revoked, revoked.updatedAt]).toEqual(['revoked', true, invitation.createdAt + 5000]);
  });

  it('answers 404 resource_not_found for an unknown id', async () => {
    const error = await clerkError(clerk.invitations.revokeInvitation('inv_missing'));
    expect([error.status, error.errors[0]?.code]).toEqual([404, 'resource_not_found']);
  });

  it('answers 400 invitation_already_revoked and invitation_already_accepted', async () => {
    const invitation = await clerk.invitations.createInvitation({ emailAddress: 'twice@example.com' });
    await clerk.invitations.revokeInvitation(invitation.id);
    const again = await clerkError(clerk.invitations.revokeInvitation(invitation.id));
    expect([again.status, again.errors[0]?.code]).toEqual([400, 'invitation_already_revoked']);

    const accepted = await clerk.invitations.createInvitation({ emailAddress: 'joined@example.com' });
    emulator.acceptInvitation(accepted.id);
    const error = await clerkError(clerk.invitations.revokeInvitation(accepted.id));
    expect([error.status, error.errors[0]?.code]).toEqual([400, 'invitation_already_accepted']);
    // Accepting created the user, so inviting the address again is refused.
    const exists = await clerkError(clerk.invitations.createInvitation({ emailAddress: 'joined@example.com' }));
    expect(exists.errors[0]?.code).toBe('form_identifier_exists');
  });
});

describe('DELETE /v1/invitations/{id} and the ticket link', () => {
  it('deletes any invitation and answers a DeletedObject', async () => {
    const invitation = await clerk.invitations.createInvitation({ emailAddress: 'del@example.com' });
    const deleted = await clerk.invitations.deleteInvitation(invitation.id);
    expect(deleted).toMatchObject({ id: invitation.id, deleted: true, object: 'invitation' });
    expect(emulator.invitations()).toEqual([]);
    const error = await clerkError(clerk.invitations.deleteInvitation(invitation.id));
    expect(error.status).toBe(404);
  });

  it('accepts the invitation when its ticket link is followed, then redirects', async () => {
    const invitation = await clerk.invitations.createInvitation({
      emailAddress: 'click@example.com',
      redirectUrl: 'https://app.example.com/welcome',
    });
    const res = await fetch(invitation.url as string, { redirect: 'manual' });
    expect([res.status, res.headers.get('location')]).toEqual([303, 'https://app.example.com/welcome']);
    expect(emulator.invitations()[0]?.status).toBe('accepted');
    expect(emulator.users().map((u) => u.emailAddress)).toEqual(['click@example.com']);
    expect((await fetch(invitation.url as string)).status).toBe(404);
  });
});
