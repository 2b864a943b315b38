import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_NESTING } from '../../src/plugins/use-value-nesting-limit.ts';
import { startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

// Bodies are written by hand: JSON.stringify itself overflows on values this deep.
const deepJson = (levels: number) => `${'{"a":'.repeat(levels - 1)}{"leaf":1}${'}'.repeat(levels - 1)}`;
const deepLiteral = (levels: number) => `${'{a:'.repeat(levels - 1)}{leaf:1}${'}'.repeat(levels - 1)}`;
const SELECTION = '{ results { __typename ... on InvitationFailed { code message } } }';

async function send(body: string, headers: Record<string, string> = {}) {
  const response = await stack.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.apiKey}`, ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as any };
}

const asVariable = (levels: number, tag: string) =>
  `{"query":${JSON.stringify(`mutation($i: [InvitationInput!]!) { createInvitations(invitations: $i) ${SELECTION} }`)},` +
  `"variables":{"i":[{"emailAddress":"deep-${tag}@example.com","publicMetadata":${deepJson(levels)}},{"emailAddress":"plain-${tag}@example.com"}]}}`;

const asLiteral = (levels: number, tag: string) =>
  JSON.stringify({
    query: `mutation { createInvitations(invitations: [{ emailAddress: "deep-${tag}@example.com", publicMetadata: ${deepLiteral(levels)} }, { emailAddress: "plain-${tag}@example.com" }]) ${SELECTION} }`,
  });

describe('publicMetadata nested deep enough to overflow a recursive walk', () => {
  it.each([5_000, 100_000])('as a variable, %i levels: that item is INVALID_INPUT and the other one is created', async (levels) => {
    const { status, body } = await send(asVariable(levels, `var${levels}`));
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.createInvitations.results).toEqual([
      { __typename: 'InvitationFailed', code: 'INVALID_INPUT', message: 'invitations[0].publicMetadata: nests deeper than 32 levels' },
      { __typename: 'InvitationCreated' },
    ]);
    expect(stack.emulator.invitations().map((i) => i.emailAddress)).toContain(`plain-var${levels}@example.com`);
  });

  it.each([5_000, 100_000])('as a variable with an idempotency key, %i levels: the same answer, no crash while fingerprinting', async (levels) => {
    const { status, body } = await send(asVariable(levels, `key${levels}`), { 'idempotency-key': `deep-${levels}` });
    expect(status).toBe(200);
    expect(body.data.createInvitations.results.map((r: any) => r.code ?? r.__typename)).toEqual(['INVALID_INPUT', 'InvitationCreated']);
    const calls = stack.emulator.calls.length;
    const again = await send(asVariable(levels, `key${levels}`), { 'idempotency-key': `deep-${levels}` });
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(body.data);
    expect(stack.emulator.calls.length).toBe(calls);
  });

  it('privateMetadata of an organization invitation, 100,000 levels with an idempotency key: the same answer, no crash while fingerprinting', async () => {
    stack.emulator.seedOrganization({ id: 'org_deep', name: 'Deep' });
    const body =
      `{"query":${JSON.stringify(`mutation($i: [OrganizationInvitationInput!]!) { createOrganizationInvitations(organizationId: "org_deep", invitations: $i) ${SELECTION} }`)},` +
      `"variables":{"i":[{"emailAddress":"deep-private@example.com","role":"org:member","privateMetadata":${deepJson(100_000)}},` +
      `{"emailAddress":"plain-private@example.com","role":"org:member"}]}}`;
    const { status, body: answer } = await send(body, { 'idempotency-key': 'deep-private' });
    expect(status).toBe(200);
    expect(answer.errors).toBeUndefined();
    expect(answer.data.createOrganizationInvitations.results).toEqual([
      { __typename: 'InvitationFailed', code: 'INVALID_INPUT', message: 'invitations[0].privateMetadata: nests deeper than 32 levels' },
      { __typename: 'OrganizationInvitationCreated' },
    ]);
    expect(stack.emulator.organizationInvitations('org_deep').map((i) => i.emailAddress)).toEqual(['plain-private@example.com']);
  });

  it('as an inline literal 40 levels deep (parsable): that item is INVALID_INPUT and the other one is created', async () => {
    const { status, body } = await send(asLiteral(40, 'lit40'));
    expect(status).toBe(200);
    expect(body.data.createInvitations.results.map((r: any) => r.code ?? r.__typename)).toEqual(['INVALID_INPUT', 'InvitationCreated']);
    expect(body.data.createInvitations.results[0].message).toBe('invitations[0].publicMetadata: nests deeper than 32 levels');
  });

  it.each([5_000, 100_000])('as an inline literal, %i levels: the document is refused as BAD_USER_INPUT naming the field', async (levels) => {
    const before = stack.emulator.calls.length;
    const { status, body } = await send(asLiteral(levels, `lit${levels}`), { accept: 'application/graphql-response+json' });
    expect(status).toBe(400);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0].message).toMatch(
      new RegExp(`^createInvitations\\.invitations\\.publicMetadata\\.a: nested deeper than ${MAX_DOCUMENT_NESTING} levels at line 1, column \\d+`),
    );
    expect(stack.emulator.calls.length).toBe(before);
  });

  it('counts no brackets inside strings or comments', async () => {
    const brackets = '{['.repeat(1_000);
    const query = `mutation { createInvitations(invitations: [{ emailAddress: "brackets@example.com", publicMetadata: { note: "${brackets}" } }]) ${SELECTION} }\n# ${brackets}`;
    const { status, body } = await send(JSON.stringify({ query }));
    expect(status).toBe(200);
    expect(body.data.createInvitations.results).toEqual([{ __typename: 'InvitationCreated' }]);
  });

  it('refuses a selection set nested past the limit the same way, not with a crash', async () => {
    const query = `query ${'{ gatewayStatus '.repeat(5_000)}${'}'.repeat(5_000)}`;
    const { status, body } = await send(JSON.stringify({ query }), { accept: 'application/graphql-response+json' });
    expect(status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});
