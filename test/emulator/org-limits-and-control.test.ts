import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, type EmulatorOptions, FAULT_ROUTES, startEmulator } from '../../src/emulator/index.ts';
import { clerkError, clientFor, expectSpecValid } from './helpers.ts';

const started: Emulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((em) => em.close()));
});

async function start(options: EmulatorOptions) {
  const em = await startEmulator(options);
  started.push(em);
  const key = em.secretKeys[0] as string;
  em.seedOrganization({ id: 'org_a', name: 'A' });
  em.seedOrganization({ id: 'org_b', name: 'B' });
  return { em, key, clerk: clientFor(em.url, key) };
}

const item = (emailAddress: string) => ({ emailAddress, role: 'org:member' });
type Client = ReturnType<typeof clientFor>;
const createOne = (clerk: Client, organizationId: string, emailAddress: string) =>
  clerk.organizations.createOrganizationInvitation({ organizationId, ...item(emailAddress) });
const createBulk = (clerk: Client, organizationId: string, addresses: string[]) =>
  clerk.organizations.createOrganizationInvitationBulk(organizationId, addresses.map(item));

describe('organization invitation hourly limits', () => {
  it('counts bulk calls of every organization in one instance window by default, with 429 and Retry-After', async () => {
    let clock = 1_000_000_000;
    const { em, clerk } = await start({ limits: { orgBulkPerHour: 2, orgSinglePerHour: 1 }, now: () => clock });
    await createBulk(clerk, 'org_a', ['a1@example.com']);
    clock += 60_000;
    await createBulk(clerk, 'org_a', ['a2@example.com']);
    const refused = await clerkError(createBulk(clerk, 'org_b', ['b1@example.com']));
    expect([refused.status, refused.errors[0]?.code, refused.retryAfter]).toEqual([429, 'too_many_requests', 3540]);
    expect(em.organizationInvitations('org_b')).toEqual([]);
    // The single window is separate from the bulk one, and the instance invitation windows are untouched.
    await createOne(clerk, 'org_b', 'b2@example.com');
    expect((await clerkError(createOne(clerk, 'org_a', 'x@example.com'))).status).toBe(429);
    await clerk.invitations.createInvitationBulk([{ emailAddress: 'instance@example.com' }]);
    clock += 3540 * 1000;
    await createBulk(clerk, 'org_b', ['b1@example.com']);
  });

  it("keeps one window pair per organization with orgLimitScope 'organization'", async () => {
    const { clerk } = await start({ limits: { orgBulkPerHour: 1, orgLimitScope: 'organization' }, now: () => 5_000_000 });
    await createBulk(clerk, 'org_a', ['a1@example.com']);
    await createBulk(clerk, 'org_b', ['b1@example.com']);
    const refused = await clerkError(createBulk(clerk, 'org_a', ['a2@example.com']));
    expect([refused.status, refused.retryAfter]).toEqual([429, 3600]);
  });

  it('refuses bad limit and duplicate options at start-up, naming them', async () => {
    await expect(startEmulator({ limits: { orgLimitScope: 'tenant' as 'instance' } })).rejects.toThrow(/orgLimitScope/);
    await expect(startEmulator({ limits: { orgSinglePerHour: 0 } })).rejects.toThrow(/orgSinglePerHour/);
    await expect(startEmulator({ orgDuplicateInvitation: 'merge' as 'reuse' })).rejects.toThrow(/orgDuplicateInvitation/);
  });

  it('stamps the Date header of org answers from Clerk’s clock', async () => {
    const { em, key } = await start({ now: () => Date.UTC(2030, 4, 6, 7, 8, 9, 500) });
    const res = await fetch(`${em.url}/v1/organizations/org_a/invitations`, { headers: { Authorization: `Bearer ${key}` } });
    expect(res.headers.get('date')).toBe('Mon, 06 May 2030 07:08:09 GMT');
  });
});

describe('faults on organization routes', () => {
  it('matches org-bulk, org-single and org-list by route kind only', async () => {
    const { em, clerk } = await start({});
    em.faults.add(
      { route: 'org-bulk', fault: 'error500-before-commit', times: 1 },
      { route: 'org-list', fault: 'rate-limit', retryAfterSeconds: 7 },
    );
    // An instance bulk call does not match the org-bulk rule.
    await clerk.invitations.createInvitationBulk([{ emailAddress: 'i@example.com' }]);
    const failed = await clerkError(createBulk(clerk, 'org_a', ['a@example.com']));
    expect([failed.status, failed.errors[0]?.code]).toEqual([500, 'internal_clerk_error']);
    expect(em.organizationInvitations('org_a')).toEqual([]);
    const listed = await clerkError(clerk.organizations.getOrganizationInvitationList({ organizationId: 'org_a' }));
    expect([listed.status, listed.retryAfter]).toEqual([429, 7]);
    await createBulk(clerk, 'org_a', ['a@example.com']);
    expect(em.calls.map((c) => [c.route, c.status, c.fault])).toEqual([
      ['bulk', 200, null],
      ['org-bulk', 500, 'error500-before-commit'],
      ['org-list', 429, 'rate-limit'],
      ['org-bulk', 200, null],
    ]);
  });

  it('commits and then answers 500 with error500-after-commit on org-single', async () => {
    const { em, clerk } = await start({});
    em.faults.add({ route: 'org-single', fault: 'error500-after-commit' });
    expect((await clerkError(createOne(clerk, 'org_a', 'a@example.com'))).status).toBe(500);
    expect(em.organizationInvitations('org_a').map((i) => i.emailAddress)).toEqual(['a@example.com']);
    expect(em.calls.at(-1)).toMatchObject({ committed: true, invitationIds: [em.organizationInvitations('org_a')[0]?.id] });
  });

  it('rejects an unknown route kind in process', async () => {
    const { em } = await start({});
    expect(() => em.faults.add({ route: 'org-nope' as 'org-bulk', fault: 'hang' })).toThrow(/unknown route/);
    expect(FAULT_ROUTES).toContain('org-revoke');
  });
});

describe("orgDuplicateInvitation: 'reuse'", () => {
  it('answers the pending invitation again, resends its email and creates nothing new', async () => {
    const { em, clerk } = await start({ orgDuplicateInvitation: 'reuse' });
    const first = await createOne(clerk, 'org_a', 'a@example.com');
    const again = await createOne(clerk, 'org_a', 'A@example.com');
    expect(again.id).toBe(first.id);
    expectSpecValid('orgInvitation', again.raw);
    expect(em.calls.at(-1)).toMatchObject({ committed: false, invitationIds: [] });
    const bulk = await createBulk(clerk, 'org_a', ['a@example.com', 'new@example.com']);
    expect(bulk.data[0]?.id).toBe(first.id);
    // Only the new invitation was committed; the reused one carries no ticket url in this answer.
    expect(em.calls.at(-1)).toMatchObject({ committed: true, invitationIds: [bulk.data[1]?.id] });
    const urls = bulk.data.map((invitation) => (invitation.raw as { url: string | null }).url);
    expect([urls[0], typeof urls[1]]).toEqual([null, 'string']);
    expect(em.organizationInvitations('org_a').map((i) => [i.emailAddress, i.emailsSent])).toEqual([
      ['a@example.com', 3],
      ['new@example.com', 1],
    ]);
  });
});

describe('organization control routes', () => {
  async function control(em: Emulator, method: string, path: string, body?: unknown) {
    const res = await fetch(`${em.url}/__emulator/${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  it('seeds organizations and memberships, lists invitations and accepts one over HTTP', async () => {
    const em = await startEmulator({ control: true });
    started.push(em);
    const clerk = clientFor(em.url, em.secretKeys[0] as string);
    const orgs = await control(em, 'POST', 'organizations', { organizations: [{ id: 'org_x', name: 'X', maxMemberships: 5 }] });
    expect(orgs.body).toEqual([
      expect.objectContaining({ id: 'org_x', roles: ['org:admin', 'org:member'], maxMemberships: 5 }),
    ]);
    const admin = await control(em, 'POST', 'organizations/org_x/memberships', { user: 'boss@x.test', role: 'org:admin' });
    expect(admin.body).toMatchObject({ organizationId: 'org_x', emailAddress: 'boss@x.test', role: 'org:admin' });
    // By user id: the seeded user joins another organization.
    await control(em, 'POST', 'organizations', { organizations: [{ id: 'org_y', name: 'Y' }] });
    const byId = await control(em, 'POST', 'organizations/org_y/memberships', { user: admin.body.userId, role: 'org:member' });
    expect(byId.body).toMatchObject({ organizationId: 'org_y', emailAddress: 'boss@x.test' });

    const created = await clerk.organizations.createOrganizationInvitation({
      organizationId: 'org_x',
      ...item('n@example.com'),
      inviterUserId: admin.body.userId,
    });
    const listed = await control(em, 'GET', 'organizations/org_x/invitations');
    expect(listed.body).toEqual([
      expect.objectContaining({ id: created.id, inviterId: admin.body.userId, status: 'pending' }),
    ]);
    expect((await control(em, 'POST', `organization-invitations/${created.id}/accept`, {})).body.status).toBe('accepted');
    expect((await control(em, 'GET', 'organizations/org_x/memberships')).body).toHaveLength(2);
    expect((await control(em, 'GET', 'organizations')).body).toHaveLength(2);

    const faults = await control(em, 'POST', 'faults', { route: 'org-revoke', fault: 'hang' });
    expect(faults.status).toBe(200);
    expect((await control(em, 'POST', 'faults', { route: 'org-nope', fault: 'hang' })).status).toBe(400);
  });

  it('answers 400 naming the problem for an unknown role, organization, user or a taken id', async () => {
    const em = await startEmulator({ control: true });
    started.push(em);
    await control(em, 'POST', 'organizations', { organizations: [{ id: 'org_x', name: 'X' }] });
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', 'organizations/org_x/memberships', { user: 'a@x.test', role: 'org:owner' }, /org:owner/],
      ['POST', 'organizations/org_nope/memberships', { user: 'a@x.test', role: 'org:admin' }, /org_nope/],
      ['POST', 'organizations/org_x/memberships', { user: 'user_missing', role: 'org:admin' }, /user_missing/],
      ['POST', 'organizations', { organizations: [{ id: 'org_x', name: 'Again' }] }, /org_x/],
      ['POST', 'organizations', { organizations: [{ name: 'Bad', maxMemberships: -1 }] }, /maxMemberships/],
      ['GET', 'organizations/org_nope/invitations', undefined, /org_nope/],
    ];
    for (const [method, path, body, message] of cases) {
      const answer = await control(em, method, path, body);
      expect([answer.status, answer.body.error], path).toEqual([400, expect.stringMatching(message)]);
    }
  });
});
