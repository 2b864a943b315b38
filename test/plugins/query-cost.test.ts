import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** Every field of a page, as a list screen asks for it. */
const NODE = 'id emailAddress status publicMetadata expiresAt createdAt updatedAt revoked url';
const PAGE = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${NODE} } }`;
const literal = (first: number) => `{ invitations(first: ${first}) { ${PAGE} } }`;
const variable = `query ($first: Int) { invitations(first: $first) { ${PAGE} } }`;

describe('MAX_QUERY_COST and page sizes', () => {
  it('every documented page size (1..100) passes with a full node selection, as a literal or a variable', async () => {
    stack = await startStack();
    stack.emulator.seedInvitations([{ emailAddress: 'one@example.com' }]);
    // The cost rule never reads the value, so the two ends and the middle of the range stand for all of it.
    for (const first of [1, 50, 100]) {
      for (const { query, variables } of [{ query: literal(first) }, { query: variable, variables: { first } }]) {
        const { response, body } = await stack.request(query, variables);
        expect({ first, errors: body.errors }).toEqual({ first, errors: undefined });
        expect(response.status).toBe(200);
        expect(body.data.invitations.edges[0].node.emailAddress).toBe('one@example.com');
      }
    }
  });

  it('a literal page size neither raises nor lowers the cost: a costly document is refused the same with first: 1, 100 or $first', async () => {
    stack = await startStack({ env: { MAX_QUERY_COST: '30' } });
    const answers = [await stack.request(literal(1)), await stack.request(literal(100)), await stack.request(variable, { first: 100 })];
    const messages = answers.map((a) => a.body.errors?.[0]?.message);
    expect(messages[0]).toMatch(/^Query cost \d+ exceeds the limit of 30 \(MAX_QUERY_COST\)/);
    expect(new Set(messages).size).toBe(1);
    for (const { response, body } of answers) {
      expect(response.status).toBe(400);
      expect(body.errors?.[0]?.message).not.toMatch(/Syntax Error/);
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'MAX_QUERY_COST', maxCost: 30 });
    }
    expect(stack.emulator.calls.filter((c) => c.route === 'list')).toEqual([]);
  });

  it('page sizes hidden in a fragment count as nothing too, while the fragment\'s fields still count', async () => {
    stack = await startStack({ env: { MAX_QUERY_COST: '30' } });
    const viaFragment = `{ ...Page } fragment Page on Query { invitations(first: 100) { ${PAGE} } }`;
    const { body } = await stack.request(viaFragment);
    expect(body.errors?.[0]?.message).toMatch(/^Query cost \d+ exceeds the limit of 30/);
    const small = await startStack({ env: { MAX_QUERY_COST: '1000' } });
    try {
      expect((await small.request(viaFragment)).body.errors).toBeUndefined();
    } finally {
      await small.close();
    }
  });

  it('a page size outside 1..100 is still refused by the field, naming it', async () => {
    stack = await startStack();
    for (const first of [0, 101]) {
      const { body } = await stack.request(literal(first));
      expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'first' } });
    }
  });
});
