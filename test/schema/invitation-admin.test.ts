import { print } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { InvitationsDocument, RevokeInvitationDocument } from '../../client/generated/graphql.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { v1 } from '../auth/tokens.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.emulator.reset());

const LIST = print(InvitationsDocument);
const REVOKE = print(RevokeInvitationDocument);
const list = async (variables: Record<string, unknown> = {}) => {
  const { body } = await stack.request(LIST, variables);
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data.invitations as {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: { id: string; emailAddress: string; status: string } }[];
  };
};

function seed(n: number, status?: 'pending' | 'accepted' | 'revoked') {
  const start = stack.emulator.now() - 1_000_000;
  return stack.emulator.seedInvitations(
    Array.from({ length: n }, (_, i) => ({ emailAddress: `${status ?? 'p'}${i}@example.com`, status, createdAt: start + i * 1000 })),
  );
}

describe('invitations', () => {
  it('pages through Clerk\'s list, newest first, with offset cursors', async () => {
    const seeded = seed(25);
    const pages = [];
    let after: string | null = null;
    do {
      const page = await list({ first: 10, after });
      pages.push(page);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(pages.map((p) => p.edges.length)).toEqual([10, 10, 5]);
    expect(pages.every((p) => p.totalCount === 25)).toBe(true);
    expect(pages.flatMap((p) => p.edges.map((e) => e.node.id))).toEqual(seeded.map((i) => i.id).reverse());
    expect(stack.emulator.calls.map((c) => [c.query.limit, c.query.offset ?? '0'])).toEqual([
      ['10', '0'],
      ['10', '10'],
      ['10', '20'],
    ]);
  });

  it('filters by status and by text, and leaves revoked ones out by default as Clerk does', async () => {
    seed(3);
    seed(2, 'revoked');
    seed(1, 'accepted');
    expect((await list()).totalCount).toBe(4);
    const revoked = await list({ status: 'REVOKED' });
    expect(revoked.edges.map((e) => e.node.status)).toEqual(['REVOKED', 'REVOKED']);
    const found = await list({ query: 'accepted0@' });
    expect(found.edges.map((e) => e.node.emailAddress)).toEqual(['accepted0@example.com']);
  });

  it('refuses bad page arguments without calling Clerk', async () => {
    for (const variables of [{ first: 0 }, { first: 101 }, { after: 'not-a-cursor' }, { query: 'x'.repeat(300) }]) {
      const { response, body } = await stack.request(LIST, variables);
      expect(response.status).toBe(400);
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(stack.emulator.calls).toEqual([]);
  });
});

describe('when Clerk fails', () => {
  it('passes Clerk\'s back-off on as 503 with Retry-After, and a 5xx as UPSTREAM_ERROR', async () => {
    // A 429 pauses list calls for its Retry-After, so that part runs on a stack of its own.
    const own = await startStack();
    onTestFinished(() => own.close());
    own.emulator.faults.add({ route: 'list', fault: 'rate-limit', retryAfterSeconds: 42, times: 1 });
    const limited = await own.request(LIST);
    expect(limited.response.status).toBe(503);
    expect(limited.response.headers.get('retry-after')).toBe('42');
    expect(limited.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', retryAfterSeconds: 42 });
    const [invitation] = seed(1);
    stack.emulator.faults.add({ route: 'revoke', fault: 'error500-after-commit', times: 1 });
    const broken = await stack.request(REVOKE, { id: invitation!.id });
    expect(broken.response.status).toBe(502);
    expect(broken.body.errors?.[0]?.message).toMatch(/may have done so; check before retrying/);
  });
});

describe('revokeInvitation', () => {
  it('revokes a pending invitation', async () => {
    const [invitation] = seed(1);
    const { body } = await stack.request(REVOKE, { id: invitation!.id });
    expect(body.data.revokeInvitation).toMatchObject({ id: invitation!.id, status: 'REVOKED', revoked: true });
    expect(stack.emulator.invitations()[0]?.status).toBe('revoked');
  });

  it('says precisely why it cannot revoke', async () => {
    const [accepted] = seed(1, 'accepted');
    const [revoked] = seed(1, 'revoked');
    const cases: [string, number, string, RegExp][] = [
      [accepted!.id, 409, 'INVITATION_NOT_REVOCABLE', /was already accepted/],
      [revoked!.id, 409, 'INVITATION_NOT_REVOCABLE', /is already revoked/],
      ['inv_doesnotexist', 404, 'NOT_FOUND', /^id: no invitation inv_doesnotexist/],
      ['../users', 400, 'BAD_USER_INPUT', /not a Clerk invitation id/],
    ];
    for (const [id, status, code, message] of cases) {
      const { response, body } = await stack.request(REVOKE, { id });
      expect(response.status).toBe(status);
      expect(body.errors?.[0]?.extensions?.code).toBe(code);
      expect(body.errors?.[0]?.message).toMatch(message);
    }
    expect(stack.emulator.calls.filter((c) => c.route === 'revoke')).toHaveLength(3);
  });
});

describe('admin fields', () => {
  it('are for inviters only', async () => {
    seed(1);
    const member = { authorization: `Bearer ${await stack.emulator.signSessionToken(v1('org:member'))}` };
    for (const [query, variables] of [[LIST, {}], [REVOKE, { id: 'inv_x' }]] as const) {
      const { response, body } = await stack.request(query, variables, member);
      expect(response.status).toBe(403);
      expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const admin = { authorization: `Bearer ${await stack.emulator.signSessionToken(v1('org:admin'))}` };
    expect((await stack.request(LIST, {}, admin)).body.data.invitations.totalCount).toBe(1);
    expect(stack.emulator.calls.filter((c) => c.route !== 'jwks').map((c) => c.route)).toEqual(['list']);
  });
});
