import { print } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CreateOrganizationInvitationsDocument, OrganizationInvitationsDocument, RevokeOrganizationInvitationDocument } from '../../client/generated/graphql.ts';
import { APP_ORIGIN, v1, v2 } from '../auth/tokens.ts';
import { startStack, type HeaderOverrides, type Stack } from '../support/stack.ts';

// Who may act on which organization's invitations. Every refusal happens before the caller limit
// counts and before anything reaches Clerk.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    env: async (emulator) => ({
      CLERK_JWT_KEY: (await emulator.signingKey()).publicKeyPem,
      CLERK_AUTHORIZED_PARTIES: APP_ORIGIN,
      ORG_INVITER_PERMISSIONS: 'org:invitations:manage',
    }),
  });
});
afterAll(() => stack.close());
beforeEach(() => stack.emulator.reset());

const bearer = async (claims: Record<string, unknown>): Promise<HeaderOverrides> => ({ authorization: `Bearer ${await stack.emulator.signSessionToken(claims)}` });
const CREATE = print(CreateOrganizationInvitationsDocument);
const LIST = print(OrganizationInvitationsDocument);
const REVOKE = print(RevokeOrganizationInvitationDocument);
const invite = (organizationId: string) => ({ organizationId, invitations: [{ emailAddress: 'mate@example.com', role: 'org:member' }] });

type Case = [name: string, organizationId: string, claims: () => Record<string, unknown>];

const refused: Case[] = [
  ['an admin of organization B inviting into A', 'org_1', () => v1('org:admin', { org_id: 'org_2' })],
  ['a member of A', 'org_1', () => v1('org:member')],
  ['a member of A (v2 claims) without the permission', 'org_1', () => v2('member', { fea: 'o:reports', o: { id: 'org_1', rol: 'member', slg: 'acme', per: 'read', fpm: '1' } })],
  ['a session with no organization', 'org_1', () => ({ sub: 'user_solo', azp: APP_ORIGIN })],
  ['a machine token', 'org_1', () => ({ sub: 'mch_any', scopes: '' })],
];

describe('who may act on an organization\'s invitations', () => {
  it.each(refused)('refuses %s with FORBIDDEN, sending nothing to Clerk', async (_name, organizationId, claims) => {
    const headers = await bearer(claims());
    for (const [query, variables] of [
      [CREATE, invite(organizationId)],
      [LIST, { organizationId }],
      [REVOKE, { organizationId, id: 'orginv_123' }],
    ] as const) {
      const { body } = await stack.request(query, variables, headers);
      expect(body.errors?.[0]?.extensions?.code, query.slice(0, 40)).toBe('FORBIDDEN');
      expect(body.data ?? null).toBeNull();
    }
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it('refuses an organization id that is not one, naming the field', async () => {
    const { body } = await stack.request(CREATE, invite('acme'), await bearer(v1('org:admin')));
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'organizationId' });
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it('refuses createOrganizationInvitations beside any other field, before anything runs', async () => {
    const query = 'mutation { a: createOrganizationInvitations(organizationId: "org_1", invitations: [{ emailAddress: "a@example.com", role: "org:member" }]) { createdCount } b: createInvitations(invitations: [{ emailAddress: "b@example.com" }]) { createdCount } }';
    const { body } = await stack.request(query);
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toMatch(/createOrganizationInvitations must be the only field/);
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it('fails a malformed role or private metadata on its own item, naming field and item, and sends nothing for it', async () => {
    const { body } = await stack.request(CREATE, {
      organizationId: 'org_1',
      invitations: [
        { emailAddress: 'bad-role@example.com', role: 'admin' },
        { emailAddress: 'deep@example.com', role: 'org:member', privateMetadata: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) },
      ],
    });
    const results = body.data.createOrganizationInvitations.results;
    expect(results.map((r: { code: string }) => r.code)).toEqual(['INVALID_INPUT', 'INVALID_INPUT']);
    expect(results[0].message).toMatch(/^invitations\[0\]\.role: must be a role key/);
    expect(results[1].message).toMatch(/^invitations\[1\]\.privateMetadata: nests deeper than 32 levels/);
    expect(stack.emulator.calls).toHaveLength(0);
  });
});
