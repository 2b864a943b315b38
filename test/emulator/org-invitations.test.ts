import type { ClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, type SeededMembership, type WireOrgInvitation, startEmulator } from '../../src/emulator/index.ts';
import { clerkError, clientFor, expectSpecValid, rawFetch } from './helpers.ts';

const DAY = 86_400_000;
const ORG = 'org_acme';
let clock = Date.UTC(2026, 0, 1);
let emulator: Emulator;
let clerk: ClerkClient;
let key: string;
let admin: SeededMembership;
let member: SeededMembership;

beforeAll(async () => {
  emulator = await startEmulator({ now: () => clock });
  key = emulator.secretKeys[0] as string;
  clerk = clientFor(emulator.url, key);
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  clock = Date.UTC(2026, 0, 1);
  emulator.seedOrganization({ id: ORG, name: 'Acme' });
  emulator.seedOrganization({ id: 'org_other', name: 'Other', roles: ['org:admin', 'org:member', 'org:viewer'] });
  admin = emulator.seedMembership(ORG, 'boss@acme.test', 'org:admin');
  member = emulator.seedMembership(ORG, 'pleb@acme.test', 'org:member');
});

const raw = (invitation: { raw: unknown }) => invitation.raw as WireOrgInvitation;
const stored = () => emulator.organizationInvitations(ORG);
const invite = (emailAddress: string, extra: Record<string, unknown> = {}) => ({ emailAddress, role: 'org:member', ...extra });
const createOne = (emailAddress: string, extra: Record<string, unknown> = {}, organizationId = ORG) =>
  clerk.organizations.createOrganizationInvitation({ organizationId, ...invite(emailAddress, extra) });
const createBulk = (items: ReturnType<typeof invite>[], organizationId = ORG) =>
  clerk.organizations.createOrganizationInvitationBulk(organizationId, items);
const revoke = (invitationId: string, requestingUserId?: string) =>
  clerk.organizations.revokeOrganizationInvitation({
    organizationId: ORG,
    invitationId,
    ...(requestingUserId ? { requestingUserId } : {}),
  });
type ListQuery = { status?: ('pending' | 'accepted' | 'revoked' | 'expired')[]; limit?: number; offset?: number };
const list = (query: ListQuery = {}, organizationId = ORG) =>
  clerk.organizations.getOrganizationInvitationList({ organizationId, ...query });
const getOne = (invitationId: string, organizationId = ORG) =>
  clerk.organizations.getOrganizationInvitation({ organizationId, invitationId });

describe('POST /v1/organizations/{id}/invitations', () => {
  it('creates a spec-valid organization invitation from the SDK camelCase params, sent snake_case', async () => {
    const created = await clerk.organizations.createOrganizationInvitation({
      organizationId: ORG,
      emailAddress: 'New.Person@Example.com',
      role: 'org:member',
      inviterUserId: admin.userId,
      publicMetadata: { team: { nestedKey: 1 } },
      privateMetadata: { secret: true },
      redirectUrl: 'https://app.example.com/welcome',
      expiresInDays: 7,
    });
    const wire = raw(created);
    expectSpecValid('orgInvitation', wire);
    expect(wire).toMatchObject({
      object: 'organization_invitation',
      email_address: 'new.person@example.com',
      role: 'org:member',
      role_name: 'Member',
      organization_id: ORG,
      inviter_id: admin.userId,
      public_inviter_data: { user_id: admin.userId, identifier: 'boss@acme.test' },
      status: 'pending',
      public_metadata: { team: { nestedKey: 1 } },
      private_metadata: { secret: true },
      expires_at: clock + 7 * DAY,
      created_at: clock,
    });
    expect(wire.id).toMatch(/^orginv_/);
    expect(wire.url).toMatch(/\/v1\/tickets\/accept\?ticket=/);
    expect(emulator.calls.at(-1)?.body).toMatchObject({ email_address: 'New.Person@Example.com', inviter_user_id: admin.userId });
    expect(emulator.calls.at(-1)?.route).toBe('org-single');
  });

  it('refuses an unknown organization with 404 resource_not_found and creates nothing anywhere', async () => {
    const error = await clerkError(createOne('a@example.com', {}, 'org_nope'));
    expect([error.status, error.errors[0]?.code]).toEqual([404, 'resource_not_found']);
    const bulk = await clerkError(createBulk([invite('a@example.com')], 'org_nope'));
    expect([bulk.status, bulk.errors[0]?.code]).toEqual([404, 'resource_not_found']);
    expect(stored()).toEqual([]);
  });

  it('refuses a role the organization lacks with 404 resource_not_found on role, combined with field errors', async () => {
    const error = await clerkError(createOne('a@example.com', { role: 'org:viewer' }));
    expect([error.status, error.errors[0]?.code, error.errors[0]?.meta?.paramName]).toEqual([404, 'resource_not_found', 'role']);
    // org_other has org:viewer, so the role list is per organization, not per instance.
    await createOne('a@example.com', { role: 'org:viewer' }, 'org_other');
    const mixed = await clerkError(
      createBulk([invite('not-an-address'), invite('b@example.com', { role: 'org:ghost' })]),
    );
    expect(mixed.status).toBe(400);
    expect(mixed.errors.map((e) => [e.code, e.meta?.paramName])).toEqual([
      ['form_param_format_invalid', 'email_address'],
      ['resource_not_found', 'role'],
    ]);
    expect(stored()).toEqual([]);
  });

  // The spec's org invitation body, unlike the instance one, does not forbid other fields, so `bogus` passes.
  it('names the missing role and a bad expires_in_days as 422 form errors, and ignores an unknown field', async () => {
    const res = await rawFetch(emulator.url, `/v1/organizations/${ORG}/invitations`, key, {
      method: 'POST',
      body: JSON.stringify({ email_address: 'a@example.com', expires_in_days: 366, bogus: 1 }),
    });
    const body = (await res.json()) as { errors: { code: string; meta?: { param_name?: string } }[] };
    expect(res.status).toBe(422);
    expect(body.errors.map((e) => [e.code, e.meta?.param_name]).sort()).toEqual([
      ['form_param_missing', 'role'],
      ['form_param_value_invalid', 'expires_in_days'],
    ]);
    expectSpecValid('clerkErrors', body);
  });

  it('refuses an inviter who is not a member (403) or not an admin (403 missing permission)', async () => {
    const outsider = emulator.seedUsers(['outsider@example.com'])[0]?.id as string;
    const notMember = await clerkError(
      createOne('a@example.com', { inviterUserId: outsider }),
    );
    expect([notMember.status, notMember.errors[0]?.code]).toEqual([403, 'not_a_member_in_organization']);
    const res = await rawFetch(emulator.url, `/v1/organizations/${ORG}/invitations/bulk`, key, {
      method: 'POST',
      body: JSON.stringify([
        { email_address: 'a@example.com', role: 'org:member', inviter_user_id: admin.userId },
        { email_address: 'b@example.com', role: 'org:member', inviter_user_id: member.userId },
      ]),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      errors: [{ code: 'missing_organization_permission', meta: { permissions: ['org:sys_memberships:manage'] } }],
    });
    expect(stored()).toEqual([]);
  });

  it('refuses an address whose user is already a member, naming the user id like Clerk', async () => {
    const error = await clerkError(createOne('PLEB@acme.test'));
    expect([error.status, error.errors[0]?.code]).toEqual([400, 'already_a_member_in_organization']);
    expect(error.errors[0]?.longMessage).toContain(member.userId);
    // A user who exists but is not a member of this organization can be invited.
    emulator.seedUsers(['someone@example.com']);
    await createOne('someone@example.com');
  });

  it('refuses a second pending invitation for an address with duplicate_record and meta.email_addresses', async () => {
    await createOne('a@example.com');
    const error = await clerkError(createOne('A@example.com'));
    expect([error.status, error.errors[0]?.code]).toEqual([400, 'duplicate_record']);
    expect(error.errors[0]?.meta?.emailAddresses).toEqual(['a@example.com']);
    // The same address in another organization is a different invitation.
    await createOne('a@example.com', {}, 'org_other');
    expect(stored()).toHaveLength(1);
  });

  it('counts members plus pending invitations against max_allowed_memberships for the whole call', async () => {
    emulator.seedOrganization({ id: 'org_small', name: 'Small', maxMemberships: 3 });
    emulator.seedMembership('org_small', 'owner@small.test', 'org:admin');
    await createOne('one@example.com', {}, 'org_small');
    const error = await clerkError(createBulk([invite('two@example.com'), invite('three@example.com')], 'org_small'));
    expect([error.status, error.errors[0]?.code]).toEqual([403, 'organization_membership_quota_exceeded']);
    expect(emulator.organizationInvitations('org_small')).toHaveLength(1);
    const fits = await createBulk([invite('two@example.com')], 'org_small');
    expect(fits.totalCount).toBe(1);
  });
});

describe('POST /v1/organizations/{id}/invitations/bulk', () => {
  it('answers a spec-valid { data, total_count } envelope in item order', async () => {
    const res = await rawFetch(emulator.url, `/v1/organizations/${ORG}/invitations/bulk`, key, {
      method: 'POST',
      body: JSON.stringify([
        { email_address: 'a@example.com', role: 'org:member' },
        { email_address: 'b@example.com', role: 'org:admin', notify: false },
      ]),
    });
    const body = (await res.json()) as { data: WireOrgInvitation[]; total_count: number };
    expect(res.status).toBe(200);
    expectSpecValid('orgInvitationList', body);
    expect(body.data.map((i) => [i.email_address, i.role_name])).toEqual([
      ['a@example.com', 'Member'],
      ['b@example.com', 'Admin'],
    ]);
    expect(stored().map((i) => i.emailsSent)).toEqual([1, 0]);
  });

  it('is all or nothing: one pending duplicate among new addresses creates none of them', async () => {
    await createOne('taken@example.com');
    const error = await clerkError(
      createBulk([invite('fresh1@example.com'), invite('taken@example.com'), invite('fresh2@example.com')]),
    );
    expect(error.errors[0]?.meta?.emailAddresses).toEqual(['taken@example.com']);
    expect(stored().map((i) => i.emailAddress)).toEqual(['taken@example.com']);
    expect(emulator.calls.at(-1)).toMatchObject({ committed: false, invitationIds: [] });
  });

  it('refuses the same address twice in one body with organization_invitation_not_unique', async () => {
    const error = await clerkError(createBulk([invite('x@example.com'), invite('X@example.com')]));
    expect([error.status, error.errors[0]?.code]).toEqual([400, 'organization_invitation_not_unique']);
    expect(stored()).toEqual([]);
  });

  it('refuses 11 items with bulk_size_exceeded and an empty list with request_body_invalid', async () => {
    const many = Array.from({ length: 11 }, (_, i) => invite(`p${i}@example.com`));
    const error = await clerkError(createBulk(many));
    expect([error.status, error.errors[0]?.code]).toEqual([400, 'bulk_size_exceeded']);
    const empty = await clerkError(createBulk([]));
    expect([empty.status, empty.errors[0]?.code]).toEqual([400, 'request_body_invalid']);
    expect(stored()).toEqual([]);
  });
});

describe('GET, list and revoke', () => {
  async function series(addresses: string[]) {
    const made = [];
    for (const address of addresses) {
      made.push(await createOne(address));
      clock += 1000;
    }
    return made;
  }

  it('lists newest first with every status, filters repeated status values, pages, and derives expired', async () => {
    const [a, b, c] = await series(['a@example.com', 'b@example.com', 'c@example.com']);
    await revoke(b?.id as string);
    const all = await list();
    expect([all.totalCount, all.data.map((i) => i.id)]).toEqual([3, [c?.id, b?.id, a?.id]]);
    all.data.forEach((i) => expectSpecValid('orgInvitation', i.raw));
    expect(all.data.every((i) => raw(i).url === null)).toBe(true);
    const some = await list({ status: ['revoked', 'accepted'] });
    expect(some.data.map((i) => i.id)).toEqual([b?.id]);
    const page = await list({ limit: 1, offset: 1 });
    expect([page.totalCount, page.data.map((i) => i.id)]).toEqual([3, [b?.id]]);
    clock += 31 * DAY;
    const expired = await list({ status: ['expired'] });
    expect(expired.data.map((i) => i.id)).toEqual([c?.id, a?.id]);
    const other = await list({}, 'org_other');
    expect(other.totalCount).toBe(0);
  });

  it('filters by email_address and orders by +email_address; refuses a bad status or order_by with 422', async () => {
    await series(['zed@example.com', 'amy@example.com']);
    const res = await rawFetch(emulator.url, `/v1/organizations/${ORG}/invitations?email_address=AMY@example.com`, key);
    const body = (await res.json()) as { data: WireOrgInvitation[]; total_count: number };
    expectSpecValid('orgInvitationList', body);
    expect(body.data.map((i) => i.email_address)).toEqual(['amy@example.com']);
    const ordered = await rawFetch(emulator.url, `/v1/organizations/${ORG}/invitations?order_by=%2Bemail_address`, key);
    const orderedBody = (await ordered.json()) as { data: WireOrgInvitation[] };
    expect(orderedBody.data.map((i) => i.email_address)).toEqual(['amy@example.com', 'zed@example.com']);
    const bad = await clerkError(list({ status: ['pending', 'lost' as 'pending'] }));
    expect([bad.status, bad.errors[0]?.code]).toEqual([422, 'form_param_value_invalid']);
    expect(bad.errors[0]?.meta?.paramName).toBe('status');
    const order = await rawFetch(emulator.url, `/v1/organizations/${ORG}/invitations?order_by=expires_at`, key);
    expect(order.status).toBe(422);
  });

  it('gets one invitation by id only within its organization', async () => {
    const [a] = await series(['a@example.com']);
    const got = await getOne(a?.id as string);
    expectSpecValid('orgInvitation', got.raw);
    expect(got.emailAddress).toBe('a@example.com');
    const elsewhere = await clerkError(getOne(a?.id as string, 'org_other'));
    expect([elsewhere.status, elsewhere.errors[0]?.code]).toEqual([404, 'resource_not_found']);
    const missing = await clerkError(getOne('orginv_missing'));
    expect(missing.status).toBe(404);
  });

  it('revokes only pending invitations, checks requesting_user_id, and frees the address', async () => {
    const [a] = await series(['a@example.com']);
    const id = a?.id as string;
    const byMember = await clerkError(revoke(id, member.userId));
    expect([byMember.status, byMember.errors[0]?.code]).toEqual([403, 'missing_organization_permission']);
    const revoked = await revoke(id, admin.userId);
    expectSpecValid('orgInvitation', revoked.raw);
    expect([revoked.status, raw(revoked).updated_at]).toEqual(['revoked', clock]);
    const again = await clerkError(revoke(id));
    expect([again.status, again.errors[0]?.code]).toEqual([404, 'organization_invitation_not_pending']);
    const unknown = await clerkError(revoke('orginv_x'));
    expect(unknown.errors[0]?.code).toBe('organization_invitation_not_pending');
    // With the pending one revoked, the address can be invited again.
    await createOne('a@example.com');
  });

  it('accepting through the ticket link makes the invitee a member, so a new invitation is refused', async () => {
    const created = await createOne('joiner@example.com');
    const res = await fetch(raw(created).url as string);
    expect(res.status).toBe(200);
    expect(emulator.memberships(ORG).map((m) => [m.emailAddress, m.role])).toContainEqual(['joiner@example.com', 'org:member']);
    const error = await clerkError(createOne('joiner@example.com'));
    expect(error.errors[0]?.code).toBe('already_a_member_in_organization');
    const got = await getOne(created.id);
    expect(got.status).toBe('accepted');
  });
});
