import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { clerkError, clientFor } from './helpers.ts';

let emulator: Emulator;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  emulator = await startEmulator({ secretKeys: ['sk_test_instance_a', 'sk_test_instance_b'] });
  [keyA, keyB] = emulator.secretKeys as [string, string];
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  emulator.seedOrganization({ id: 'org_a', name: 'A' }, keyA);
  emulator.seedOrganization({ id: 'org_b', name: 'B' }, keyA);
});

const item = (emailAddress: string, extra: Record<string, unknown> = {}) => ({ emailAddress, role: 'org:member', ...extra });

describe('organization boundaries', () => {
  it('refuses an admin of another organization as inviter, and creates nothing', async () => {
    const otherAdmin = emulator.seedMembership('org_b', 'boss@b.test', 'org:admin', keyA);
    const clerk = clientFor(emulator.url, keyA);
    const invitation = { organizationId: 'org_a', ...item('x@example.com', { inviterUserId: otherAdmin.userId }) };
    const error = await clerkError(clerk.organizations.createOrganizationInvitation(invitation));
    expect([error.status, error.errors[0]?.code]).toEqual([403, 'not_a_member_in_organization']);
    expect(emulator.organizationInvitations('org_a', keyA)).toEqual([]);
  });

  it('cannot read or revoke an invitation through another organization’s path', async () => {
    const clerk = clientFor(emulator.url, keyA);
    const created = await clerk.organizations.createOrganizationInvitation({ organizationId: 'org_a', ...item('x@example.com') });
    const read = await clerkError(clerk.organizations.getOrganizationInvitation({ organizationId: 'org_b', invitationId: created.id }));
    expect(read.status).toBe(404);
    const revoke = await clerkError(clerk.organizations.revokeOrganizationInvitation({ organizationId: 'org_b', invitationId: created.id }));
    expect([revoke.status, revoke.errors[0]?.code]).toEqual([404, 'organization_invitation_not_pending']);
    expect(emulator.organizationInvitations('org_a', keyA).map((i) => i.status)).toEqual(['pending']);
  });

  it('keeps each secret key’s organizations to itself', async () => {
    const clerkB = clientFor(emulator.url, keyB);
    const error = await clerkError(clerkB.organizations.createOrganizationInvitationBulk('org_a', [item('x@example.com')]));
    expect([error.status, error.errors[0]?.code]).toEqual([404, 'resource_not_found']);
    expect(() => emulator.organizationInvitations('org_a', keyB)).toThrow(/org_a/);
  });

  it('an edge-during-commit fault on org-bulk answers 502 first and creates the invitations later', async () => {
    const clerk = clientFor(emulator.url, keyA);
    emulator.faults.add({ route: 'org-bulk', fault: 'edge-during-commit', commitDelayMs: 20 });
    const error = await clerkError(clerk.organizations.createOrganizationInvitationBulk('org_a', [item('late@example.com')]));
    expect([error.status, error.errors]).toEqual([502, []]);
    expect(emulator.organizationInvitations('org_a', keyA)).toEqual([]);
    await emulator.settleDelayedCommits();
    expect(emulator.organizationInvitations('org_a', keyA).map((i) => i.emailAddress)).toEqual(['late@example.com']);
    expect(emulator.calls.at(-1)).toMatchObject({ route: 'org-bulk', status: 502, committed: true });
  });

  it('reset() forgets organizations, memberships and their invitations', async () => {
    const clerk = clientFor(emulator.url, keyA);
    emulator.seedMembership('org_a', 'm@a.test', 'org:member', keyA);
    await clerk.organizations.createOrganizationInvitation({ organizationId: 'org_a', ...item('x@example.com') });
    emulator.reset();
    expect(emulator.organizations(keyA)).toEqual([]);
    const error = await clerkError(clerk.organizations.getOrganizationInvitationList({ organizationId: 'org_a' }));
    expect(error.status).toBe(404);
  });
});
