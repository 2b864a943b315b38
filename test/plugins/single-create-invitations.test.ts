import { afterEach, describe, expect, it } from 'vitest';
import { CREATE_INVITATIONS, startStack, type GraphQLBody, type HeaderOverrides, type Stack } from '../support/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});
const start = async (env: Record<string, string> = {}) => (stack = await startStack({ env }));

const invite = (email: string, extra = '') => `createInvitations(invitations: [{ emailAddress: "${email}"${extra} }]) { createdCount }`;
const REVOKE_UNKNOWN = 'revokeInvitation(id: "inv_unknown") { id }';

/** Sends the document and checks it was refused before anything ran: 400, BAD_USER_INPUT, no data, no Clerk call. */
async function expectRefused(s: Stack, query: string, variables?: Record<string, unknown>, headers?: HeaderOverrides) {
  const { response, body } = await s.request(query, variables, headers);
  expect(response.status).toBe(400);
  expect(body.data).toBeUndefined();
  expect(body.errors).toHaveLength(1);
  expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'createInvitations' });
  expect(body.errors?.[0]?.message).toMatch(/createInvitations must be the only field of its mutation/);
  expect(s.emulator.calls).toEqual([]);
  expect(s.emulator.invitations()).toEqual([]);
  return body as GraphQLBody;
}

describe('createInvitations beside other mutation fields', () => {
  it('refuses two aliased createInvitations, before the caller limit counts anything', async () => {
    const s = await start({ RATE_LIMIT_MAX: '2', MAX_INVITATIONS_PER_REQUEST: '40' });
    const body = await expectRefused(s, `mutation { a: ${invite('a@example.com')} b: ${invite('b@example.com')} }`);
    expect(body.errors?.[0]?.message).toMatch(/selects 2 fields \(createInvitations\)/);
    expect(body.errors?.[0]?.message).toMatch(/one createInvitations per request; its invitations list takes up to 40 items/);
    // Both units of the limit are still there: the refused fields never reached it.
    const both = await s.invite(['a@example.com', 'b@example.com']);
    expect(both.createdCount).toBe(2);
  });

  it('refuses an ignoreExisting create beside a create that fails, so a retry cannot invite twice', async () => {
    const s = await start();
    const doc = `mutation { a: ${invite('again@example.com', ', ignoreExisting: true')} b: createInvitations(invitations: []) { createdCount } }`;
    for (let retry = 0; retry < 3; retry += 1) await expectRefused(s, doc);
  });

  it('refuses createInvitations beside revokeInvitation of an unknown id', async () => {
    const s = await start();
    const body = await expectRefused(s, `mutation { ${invite('r@example.com')} ${REVOKE_UNKNOWN} }`);
    expect(body.errors?.[0]?.message).toMatch(/\(createInvitations, revokeInvitation\)/);
  });

  it('refuses a second field hidden in an inline fragment on Mutation, or in one without a type', async () => {
    const s = await start();
    await expectRefused(s, `mutation { ... on Mutation { a: ${invite('a@example.com')} b: ${invite('b@example.com')} } }`);
    await expectRefused(s, `mutation { ${invite('a@example.com')} ... { ... on Mutation { ${REVOKE_UNKNOWN} } } }`);
  });

  it('refuses a second field hidden in a named fragment, nested two spreads deep', async () => {
    const s = await start();
    await expectRefused(s, `mutation { ${invite('a@example.com')} ...Other } fragment Other on Mutation { ${REVOKE_UNKNOWN} }`);
    await expectRefused(
      s,
      `mutation { ...Outer ${REVOKE_UNKNOWN} }
       fragment Outer on Mutation { ... on Mutation { ...Inner } }
       fragment Inner on Mutation { ${invite('a@example.com')} }`,
    );
  });

  it('counts a fragment spread twice as two fields', async () => {
    const s = await start();
    await expectRefused(s, `mutation { ...Invite ...Invite } fragment Invite on Mutation { ${invite('a@example.com')} }`);
  });

  it('counts fields under @include(if: false) and @skip(if: true), whatever the variables say', async () => {
    const s = await start();
    const doc = `mutation ($yes: Boolean!, $no: Boolean!) {
      ${invite('a@example.com')}
      revokeInvitation(id: "inv_unknown") @include(if: $no) { id }
      ... on Mutation @skip(if: $yes) { b: ${invite('b@example.com')} }
    }`;
    await expectRefused(s, doc, { yes: true, no: false });
  });

  it('answers a fragment cycle with a validation error, not a hang', async () => {
    const s = await start();
    const { response, body } = await s.request(
      `mutation { ...A } fragment A on Mutation { ${invite('a@example.com')} ...B } fragment B on Mutation { ...A }`,
    );
    expect(response.status).toBe(400);
    expect(body.errors?.map((e) => e.message)).toContainEqual(expect.stringMatching(/Cannot spread fragment "A" within itself/));
    expect(s.emulator.calls).toEqual([]);
  });

  it('counts a fragment bomb (each of 300 fragments spreading the next twice) without expanding it', async () => {
    const s = await start();
    const levels = 300;
    const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Mutation { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const { response, body } = await s.request(`mutation { ${invite('a@example.com')} ...F0 }\n${fragments}\nfragment F${levels} on Mutation { ${REVOKE_UNKNOWN} }`);
    expect(response.status).toBe(400);
    // graphql-armor's cost limit refuses it too; this rule must still answer, and name both fields.
    const refusal = body.errors?.find((e) => e.extensions?.code === 'BAD_USER_INPUT');
    expect(refusal?.message).toMatch(/selects over 1000 fields \(createInvitations, revokeInvitation\)/);
    expect(s.emulator.calls).toEqual([]);
  });
});

describe('what stays allowed', () => {
  it('a single createInvitations still works, also through a fragment', async () => {
    const s = await start();
    expect((await s.invite(['solo@example.com'])).createdCount).toBe(1);
    const { body } = await s.request(`mutation { ...Invite } fragment Invite on Mutation { ${invite('frag@example.com')} }`);
    expect(body).toEqual({ data: { createInvitations: { createdCount: 1 } } });
    expect(s.emulator.invitations().map((i) => i.emailAddress).sort()).toEqual(['frag@example.com', 'solo@example.com']);
  });

  it('createInvitations beside __typename, also an aliased one', async () => {
    const s = await start();
    const { body } = await s.request(`mutation { __typename t: __typename ${invite('typed@example.com')} }`);
    expect(body).toEqual({ data: { __typename: 'Mutation', t: 'Mutation', createInvitations: { createdCount: 1 } } });
  });

  it('other mutation fields may still be combined, and queries are untouched', async () => {
    const s = await start();
    const revokes = await s.request(`mutation { a: ${REVOKE_UNKNOWN} b: ${REVOKE_UNKNOWN} }`);
    expect(revokes.body.errors?.[0]?.extensions?.code).not.toBe('BAD_USER_INPUT');
    const query = await s.request('{ a: gatewayStatus { pendingInvitations } b: gatewayStatus { pendingInvitations } }');
    expect(query.body.errors).toBeUndefined();
  });
});

describe('the Idempotency-Key header', () => {
  it('cannot be shared by two createInvitations hidden in fragments', async () => {
    const s = await start();
    const key = { 'idempotency-key': 'shared-key' };
    await expectRefused(s, `mutation { ... on Mutation { a: ${invite('a@example.com')} } ...B } fragment B on Mutation { b: ${invite('b@example.com')} }`, undefined, key);
    await expectRefused(s, `mutation { ...A ...B } fragment A on Mutation { ...B } fragment B on Mutation { ${invite('a@example.com')} }`, undefined, key);
    // The key was never claimed: a single field with it creates, and its retry replays.
    const invitations = [{ emailAddress: 'keyed@example.com' }];
    const first = await s.request(CREATE_INVITATIONS, { invitations }, key);
    const again = await s.request(CREATE_INVITATIONS, { invitations }, key);
    expect(first.body.data?.createInvitations.createdCount).toBe(1);
    expect(again.body.data).toEqual(first.body.data);
    expect(s.emulator.invitations()).toHaveLength(1);
  });

  it('cannot be shared by two operations sent as one batched request', async () => {
    const s = await start();
    const one = (email: string) => ({ query: `mutation { ${invite(email)} }` });
    const response = await s.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.apiKey}`, 'idempotency-key': 'batched' },
      body: JSON.stringify([one('a@example.com'), one('b@example.com')]),
    });
    expect(response.status).toBe(400);
    expect(s.emulator.calls).toEqual([]);
  });
});
