import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});
const start = async (env: Record<string, string> = {}) => (stack = await startStack({ env }));
const aliased = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

describe('request and operation limits', () => {
  it('refuses a body over MAX_REQUEST_BODY_BYTES with 413', async () => {
    const s = await start({ MAX_REQUEST_BODY_BYTES: '2048' });
    const { response, body } = await s.request('mutation ($i: [InvitationInput!]!) { createInvitations(invitations: $i) { createdCount } }', {
      i: [{ emailAddress: 'big@example.com', publicMetadata: { blob: 'x'.repeat(4000) } }],
    });
    expect(response.status).toBe(413);
    expect(body.errors?.[0]?.extensions?.code).toBe('REQUEST_ENTITY_TOO_LARGE');
    expect(s.emulator.calls).toEqual([]);
  });

  it('refuses more aliases than MAX_QUERY_ALIASES before any resolver runs', async () => {
    const s = await start();
    const ok = await s.request(aliased(10, 'gatewayStatus { pendingInvitations }'));
    expect(ok.body.errors).toBeUndefined();
    const invite = 'createInvitations(invitations: [{ emailAddress: "alias@example.com" }]) { createdCount }';
    const { response, body } = await s.request(`mutation ${aliased(11, invite)}`);
    expect(response.status).toBe(400);
    expect(body.errors?.[0]?.message).toMatch(/Aliases limit of 10 exceeded, found 11/);
    expect(body.data).toBeUndefined();
    expect(s.emulator.calls).toEqual([]);
  });

  it('refuses documents deeper than MAX_QUERY_DEPTH or costlier than MAX_QUERY_COST', async () => {
    const s = await start({ MAX_QUERY_DEPTH: '2', MAX_QUERY_COST: '5' });
    const deep = await s.request('{ gatewayStatus { channels { remaining } } }');
    expect(deep.response.status).toBe(400);
    expect(deep.body.errors?.map((e) => e.message)).toContainEqual(expect.stringMatching(/Query depth limit of 2 exceeded, found 3/));
    const costly = await s.request('{ gatewayStatus { pendingInvitations c: pendingInvitations d: pendingInvitations e: pendingInvitations f: pendingInvitations } }');
    expect(costly.response.status).toBe(400);
    expect(costly.body.errors?.[0]?.message).toMatch(/^Query cost \d+ exceeds the limit of 5 \(MAX_QUERY_COST\)/);
  });
});

describe('INTROSPECTION and GRAPHIQL switches', () => {
  const INTROSPECT = '{ __schema { queryType { name } } }';

  it('are on outside production', async () => {
    const s = await start();
    expect((await s.request(INTROSPECT)).body.data.__schema.queryType.name).toBe('Query');
    const page = await s.fetch('/graphql', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Clerk invitation gateway');
    // Suggestions help while the schema is public anyway.
    expect((await s.request('{ gatewayStatu { pendingInvitations } }')).body.errors?.[0]?.message).toMatch(/Did you mean/);
  });

  it('are off in production: no schema, no suggestions, no GraphiQL page', async () => {
    const s = await start({ NODE_ENV: 'production' });
    const { response, body } = await s.request(INTROSPECT);
    expect(response.status).toBe(400);
    expect(body.errors?.[0]?.message).toMatch(/introspection has been disabled/);
    expect((await s.request('{ __typename }')).body.data).toEqual({ __typename: 'Query' });
    expect((await s.request('{ gatewayStatu { pendingInvitations } }')).body.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const page = await s.fetch('/graphql', { headers: { accept: 'text/html' } });
    expect(page.status).not.toBe(200);
    expect(await page.text()).not.toMatch(/<html/i);
  });

  it('can be set apart from NODE_ENV', async () => {
    const s = await start({ NODE_ENV: 'production', INTROSPECTION: 'true', GRAPHIQL: 'true' });
    expect((await s.request(INTROSPECT)).body.data.__schema.queryType.name).toBe('Query');
    expect((await s.fetch('/graphql', { headers: { accept: 'text/html' } })).headers.get('content-type')).toMatch(/text\/html/);
  });
});
