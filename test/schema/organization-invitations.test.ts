import { print } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { CreateOrganizationInvitationsDocument, OrganizationInvitationsDocument } from '../../client/generated/graphql.ts';
import type { EmulatorOptions } from '../../src/emulator/index.ts';
import { APP_ORIGIN } from '../auth/tokens.ts';
import { startStack, type HeaderOverrides, type Stack } from '../support/stack.ts';

const CREATE = print(CreateOrganizationInvitationsDocument);
const LIST = print(OrganizationInvitationsDocument);
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** A gateway and an emulator with organization Acme (an admin, boss@acme.test) and organization Beta. */
async function acme(env: Record<string, string> = {}, emulator: EmulatorOptions = {}) {
  const s = await startStack({
    env: async (e) => ({ CLERK_JWT_KEY: (await e.signingKey()).publicKeyPem, CLERK_AUTHORIZED_PARTIES: APP_ORIGIN, ...env }),
    emulator,
  });
  stack = s;
  s.emulator.seedOrganization({ id: 'org_acme', name: 'Acme' });
  s.emulator.seedOrganization({ id: 'org_beta', name: 'Beta' });
  const boss = s.emulator.seedMembership('org_acme', 'boss@acme.test', 'org:admin');
  const session: HeaderOverrides = {
    authorization: `Bearer ${await s.emulator.signSessionToken({ sub: boss.userId, azp: APP_ORIGIN, org_id: 'org_acme', org_role: 'org:admin', org_permissions: [] })}`,
  };
  return { s, boss, session };
}

const mates = (n: number, prefix = 'mate') => Array.from({ length: n }, (_, i) => ({ emailAddress: `${prefix}${i}@example.com`, role: 'org:member' }));
const codes = (payload: { results: { __typename: string; code?: string }[] }) => payload.results.map((r) => (r.__typename === "OrganizationInvitationCreated" ? "CREATED" : r.code ?? ""));

describe('createOrganizationInvitations', () => {
  it("coalesces an admin's 23 concurrent invitations into at most 3 bulk calls to the organization, each with the admin as inviter", async () => {
    const { s, boss, session } = await acme();
    const answers = await Promise.all(
      mates(23).map((mate) => s.request(CREATE, { organizationId: 'org_acme', invitations: [mate] }, session)),
    );
    expect(answers.map((a) => codes(a.body.data.createOrganizationInvitations)[0])).toEqual(mates(23).map(() => 'CREATED'));
    const creates = s.emulator.calls.filter((c) => c.route === 'org-bulk' || c.route === 'org-single');
    expect(creates.filter((c) => c.route === 'org-bulk').length).toBeLessThanOrEqual(3);
    expect(creates.every((c) => c.path.startsWith('/v1/organizations/org_acme/invitations'))).toBe(true);
    const stored = s.emulator.organizationInvitations('org_acme');
    expect(stored).toHaveLength(23);
    expect(stored.every((inv) => inv.inviterId === boss.userId && inv.role === 'org:member')).toBe(true);
    // Each caller got its own invitation, which names its inviter.
    answers.forEach((a, i) => expect(a.body.data.createOrganizationInvitations.results[0].invitation).toMatchObject({ emailAddress: `mate${i}@example.com` }));
    const { body } = await s.request('query ($o: ID!) { organizationInvitations(organizationId: $o, first: 1) { edges { node { inviterUserId } } } }', { o: 'org_acme' }, session);
    expect(body.data.organizationInvitations.edges[0].node.inviterUserId).toBe(boss.userId);
    // Metrics count them by family, never by organization id.
    const metrics = await s.app.metrics.registry.metrics();
    expect(metrics).toMatch(/gateway_invitations_total\{family="organization",code="CREATED"\} 23/);
    expect(metrics).not.toMatch(/org_acme/);
  });

  it('never puts two organizations in one call', async () => {
    const { s } = await acme();
    await Promise.all([
      s.request(CREATE, { organizationId: 'org_acme', invitations: mates(6, 'a') }),
      s.request(CREATE, { organizationId: 'org_beta', invitations: mates(6, 'b') }),
    ]);
    const bulk = s.emulator.calls.filter((c) => c.route === 'org-bulk');
    expect(bulk).toHaveLength(2);
    for (const call of bulk) {
      const org = call.path.split('/')[3];
      const prefix = org === 'org_acme' ? 'a' : 'b';
      expect((call.body as { email_address: string }[]).every((item) => item.email_address.startsWith(prefix))).toBe(true);
    }
  });

  it('answers an existing member and a pending duplicate with their own codes while their batch-mates are created', async () => {
    const { s, session } = await acme();
    s.emulator.seedMembership('org_acme', 'already@example.com', 'org:member');
    await s.request(CREATE, { organizationId: 'org_acme', invitations: [{ emailAddress: 'pending@example.com', role: 'org:member' }] }, session);
    const items = [...mates(4), { emailAddress: 'already@example.com', role: 'org:member' }, { emailAddress: 'pending@example.com', role: 'org:member' }, ...mates(4, 'more')];
    const { body } = await s.request(CREATE, { organizationId: 'org_acme', invitations: items }, session);
    const got = codes(body.data.createOrganizationInvitations);
    expect(got).toEqual([...mates(4).map(() => 'CREATED'), 'ALREADY_MEMBER', 'ALREADY_INVITED', ...mates(4).map(() => 'CREATED')]);
    expect(s.emulator.organizationInvitations('org_acme').filter((i) => i.emailAddress === 'pending@example.com')).toHaveLength(1);
  });

  it("answers a reused pending invitation (Clerk's 2024 behaviour) as ALREADY_INVITED, not as a new one", async () => {
    const { s, session } = await acme({}, { orgDuplicateInvitation: 'reuse' });
    await s.request(CREATE, { organizationId: 'org_acme', invitations: [{ emailAddress: 'twice@example.com', role: 'org:member' }] }, session);
    // A minute later by Clerk's clock: the invitation Clerk answers with is plainly older than the call.
    s.emulator.advanceClock(60_000);
    const { body } = await s.request(CREATE, { organizationId: 'org_acme', invitations: [{ emailAddress: 'twice@example.com', role: 'org:member' }] }, session);
    const [result] = body.data.createOrganizationInvitations.results;
    expect(result).toMatchObject({ __typename: 'InvitationFailed', code: 'ALREADY_INVITED' });
    expect(result.message).toMatch(/Clerk sent its email again/);
  });

  it('spends the organization budget to the last call without one 429 from Clerk', async () => {
    const { s, session } = await acme(
      { ORG_UPSTREAM_BULK_PER_HOUR: '2', ORG_UPSTREAM_SINGLE_PER_HOUR: '3', BATCH_WINDOW_MAX_MS: '50' },
      { limits: { orgBulkPerHour: 2, orgSinglePerHour: 3 } },
    );
    const results: string[] = [];
    for (let round = 0; round < 5; round++) {
      const { body } = await s.request(CREATE, { organizationId: 'org_acme', invitations: mates(5, `r${round}-`) }, session);
      results.push(...codes(body.data.createOrganizationInvitations));
    }
    // Two bulk calls of 5, then three singles: 13 of 25.
    expect(results.filter((c) => c === 'CREATED')).toHaveLength(13);
    expect(results.filter((c) => c === 'RATE_LIMITED')).toHaveLength(12);
    expect(s.emulator.calls.filter((c) => c.status === 429)).toHaveLength(0);
    const { body } = await s.request('{ gatewayStatus { channels { remaining } organizationChannels { channel remaining } } }');
    // The instance's own allowance is untouched; the organizations' is spent.
    expect(body.data.gatewayStatus.channels.map((c: { remaining: number }) => c.remaining)).toEqual([25, 100]);
    expect(body.data.gatewayStatus.organizationChannels).toEqual([{ channel: 'BULK', remaining: 0 }, { channel: 'SINGLE', remaining: 0 }]);
  });

  it('holds a caller to RATE_LIMIT_MAX, counted apart from its createInvitations limit', async () => {
    const { s, session } = await acme({ RATE_LIMIT_MAX: '2', RATE_LIMIT_SESSION_MAX: '2' });
    const first = await s.request(CREATE, { organizationId: 'org_acme', invitations: mates(2) }, session);
    expect(codes(first.body.data.createOrganizationInvitations)).toEqual(['CREATED', 'CREATED']);
    const second = await s.request(CREATE, { organizationId: 'org_acme', invitations: mates(1, 'late') }, session);
    expect(second.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(s.emulator.organizationInvitations('org_acme')).toHaveLength(2);
  });

  it('keeps an allowance per organization when told to, and asks which one', async () => {
    const { s } = await acme({ ORG_UPSTREAM_BUDGET_SCOPE: 'organization', ORG_UPSTREAM_BULK_PER_HOUR: '1', ORG_UPSTREAM_SINGLE_PER_HOUR: '1' });
    for (const organizationId of ['org_acme', 'org_beta']) {
      const { body } = await s.request(CREATE, { organizationId, invitations: mates(5, organizationId) });
      expect(codes(body.data.createOrganizationInvitations)).toEqual(mates(5).map(() => 'CREATED'));
    }
    const status = (organizationId?: string) =>
      s.request('query ($o: ID) { gatewayStatus { organizationChannels(organizationId: $o) { channel remaining } } }', { o: organizationId });
    expect((await status('org_acme')).body.data.gatewayStatus.organizationChannels).toEqual([{ channel: 'BULK', remaining: 0 }, { channel: 'SINGLE', remaining: 1 }]);
    expect((await status()).body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'organizationId' });
  });

  it("lists the organization's invitations for its admin", async () => {
    const { s, session } = await acme();
    await s.request(CREATE, { organizationId: 'org_acme', invitations: mates(3) }, session);
    const { body } = await s.request(LIST, { organizationId: 'org_acme', first: 10 }, session);
    expect(body.data.organizationInvitations.totalCount).toBe(3);
    expect(body.data.organizationInvitations.edges.map((e: { node: { role: string } }) => e.node.role)).toEqual(['org:member', 'org:member', 'org:member']);
  });
});
