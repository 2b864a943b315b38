import { describe, expect, it } from 'vitest';
import { useSingleCreateInvitations } from '../../src/plugins/use-single-create-invitations.ts';
import { pluginYoga, post } from '../support/plugin-yoga.ts';

const singleYoga = (max = 100) => pluginYoga([useSingleCreateInvitations({ maxInvitationsPerRequest: max })]);
const CREATE = 'createInvitations(emails: ["a@example.com"])';
const ORG_CREATE = 'createOrganizationInvitations(organizationId: "org_1", emails: ["a@example.com"])';

describe('useSingleCreateInvitations: refusals', () => {
  it.each([
    ['two creates', `mutation { a: ${CREATE} b: ${CREATE} }`],
    ['a create beside revokeInvitation', `mutation { ${CREATE} revokeInvitation(id: "inv_1") }`],
    ['an organization create beside an instance create', `mutation { ${ORG_CREATE} ${CREATE} }`],
    ['a second field in an inline fragment', `mutation { ${CREATE} ... on Mutation { revokeInvitation(id: "x") } }`],
    ['a create spread twice from a named fragment', 'mutation { ...C ...C } fragment C on Mutation { createInvitations(emails: ["a@example.com"]) }'],
    ['a second field under @skip(if: true)', `mutation { ${CREATE} revokeInvitation(id: "x") @skip(if: true) }`],
  ])('%s: 400 BAD_USER_INPUT at validation, and no resolver runs', async (_name, query) => {
    const { yoga, calls } = singleYoga();
    const { response, body } = await post(yoga, query);
    expect(response.status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0].message).toMatch(/must be the only field of its mutation/);
    expect(calls).toEqual({});
  });

  it('names the first create field, the count and the fields, and quotes maxInvitationsPerRequest', async () => {
    const { yoga } = singleYoga(37);
    const { body } = await post(yoga, `mutation { revokeInvitation(id: "x") ${ORG_CREATE} ${CREATE} }`);
    expect(body.errors[0].message).toBe(
      'createOrganizationInvitations must be the only field of its mutation, but this one selects 3 fields ' +
        '(revokeInvitation, createOrganizationInvitations, createInvitations): one field\'s failure would hide what another created. ' +
        'Send one createOrganizationInvitations per request; its invitations list takes up to 37 items.',
    );
    expect(body.errors[0].extensions.field).toBe('createOrganizationInvitations');
  });

  it('keeps the refusal short for a huge document: distinct names only, and "over 1000" fields', async () => {
    const { yoga } = singleYoga();
    const aliases = Array.from({ length: 1500 }, (_, i) => `f${i}: revokeInvitation(id: "x")`).join(' ');
    const { body } = await post(yoga, `mutation { ${CREATE} ${aliases} }`);
    expect(body.errors[0].message).toMatch(/selects over 1000 fields \(createInvitations, revokeInvitation\):/);
    expect(body.errors[0].message.length).toBeLessThan(400);
  });

  it('counts a fragment bomb without expanding it (2^40 root fields)', async () => {
    const { yoga } = singleYoga();
    const fragments = Array.from({ length: 40 }, (_, i) => `fragment F${i} on Mutation { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const { body } = await post(yoga, `mutation { ${CREATE} ...F0 }\n${fragments}\nfragment F40 on Mutation { revokeInvitation(id: "x") }`);
    expect(body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toContain('BAD_USER_INPUT');
  });

  it('checks every mutation of a multi-operation document, whichever one runs', async () => {
    const { yoga, calls } = singleYoga();
    const { response } = await post(yoga, `mutation Ok { ${CREATE} } mutation Bad { a: ${CREATE} b: ${CREATE} }`, { operationName: 'Ok' });
    expect(response.status).toBe(400);
    expect(calls).toEqual({});
  });
});

describe('useSingleCreateInvitations: what stays allowed', () => {
  it('a create alone, also through fragments and beside __typename', async () => {
    const { yoga, calls } = singleYoga();
    for (const query of [
      `mutation { ${CREATE} }`,
      `mutation { __typename t: __typename ${CREATE} }`,
      'mutation { ...C } fragment C on Mutation { ... { createInvitations(emails: ["a@example.com"]) } }',
    ]) {
      const { response, body } = await post(yoga, query);
      expect(response.status, query).toBe(200);
      expect(body.data.createInvitations).toBe(1);
    }
    expect(calls.createInvitations).toBe(3);
  });

  it('mutations without a create field, and queries, whatever they select', async () => {
    const { yoga } = singleYoga();
    expect((await post(yoga, 'mutation { a: revokeInvitation(id: "1") b: revokeInvitation(id: "2") }')).body).toEqual({ data: { a: '1', b: '2' } });
    expect((await post(yoga, '{ a: hello b: hello }')).response.status).toBe(200);
  });
});
