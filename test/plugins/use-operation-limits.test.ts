import { describe, expect, it } from 'vitest';
import { useOperationLimits, type OperationLimitOptions } from '../../src/plugins/use-operation-limits.ts';
import { pluginYoga, post } from '../support/plugin-yoga.ts';

const LIMITS: OperationLimitOptions = { maxDepth: 4, maxAliases: 3, maxCost: 1000, blockFieldSuggestions: true };
const limitsYoga = (options: Partial<OperationLimitOptions> = {}) => pluginYoga([useOperationLimits({ ...LIMITS, ...options })]);

/** `{ node { child { … name } } }` with `depth` levels of selection under the root. */
const deep = (depth: number) => `{ node { ${'child { '.repeat(depth - 2)}name${' }'.repeat(depth - 2)} } }`;

async function expectRefused(yoga: ReturnType<typeof limitsYoga>['yoga'], query: string, message: RegExp) {
  const { response, body } = await post(yoga, query);
  expect(response.status, query.slice(0, 60)).toBe(400);
  expect(body.data).toBeUndefined();
  expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(body.errors[0].message).toMatch(message);
  return body;
}

describe('useOperationLimits: depth (maxDepth)', () => {
  it('lets maxDepth through and refuses one more, before any resolver', async () => {
    const { yoga, calls } = limitsYoga();
    expect((await post(yoga, deep(4))).response.status).toBe(200);
    expect(calls.node).toBe(1);
    await expectRefused(yoga, deep(5), /depth/i);
    expect(calls.node).toBe(1);
  });

  it('counts depth through fragments', async () => {
    const { yoga } = limitsYoga();
    await expectRefused(yoga, '{ node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { child { name } } }', /depth/i);
  });

  it('exempts introspection (GraphiQL\'s own query is deep)', async () => {
    const { yoga } = limitsYoga({ maxCost: 100_000 });
    const { response } = await post(yoga, '{ __schema { types { fields { type { ofType { ofType { name } } } } } } }');
    expect(response.status).toBe(200);
  });
});

describe('useOperationLimits: aliases (maxAliases)', () => {
  it('lets maxAliases through and refuses one more, anywhere in the document', async () => {
    const { yoga, calls } = limitsYoga();
    expect((await post(yoga, '{ a: hello b: hello c: hello }')).response.status).toBe(200);
    await expectRefused(yoga, '{ a: hello b: hello c: hello d: hello }', /alias/i);
    await expectRefused(yoga, '{ a: hello node { b: name c: name d: name } }', /alias/i);
    expect(calls.hello).toBe(3);
  });
});

describe('useOperationLimits: cost (maxCost)', () => {
  it('refuses a costly document naming the cost, the limit and how to get under it', async () => {
    const { yoga, calls } = limitsYoga({ maxDepth: 100, maxAliases: 100, maxCost: 20 });
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: hello`).join(' ')} }`;
    // A scalar costs 1: twenty are the limit.
    expect((await post(yoga, aliases(20))).response.status).toBe(200);
    const body = await expectRefused(yoga, aliases(30), /^Query cost 30 exceeds the limit of 20 \(MAX_QUERY_COST\); select fewer fields or use fewer aliases\.$/);
    expect(body.errors[0].extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'MAX_QUERY_COST', maxCost: 20, cost: 30 });
    // Depth multiplies the cost by fractions; the caller is told a whole number.
    const nested = await expectRefused(yoga, '{ node { child { child { child { name } } } } }', /^Query cost \d+ exceeds/);
    expect(Number.isInteger(nested.errors[0].extensions.cost)).toBe(true);
    expect(calls.hello).toBe(20);
  });

  it('ignores page sizes: first/last, literal or variable, neither raise nor lower the cost', async () => {
    const { yoga } = limitsYoga({ maxCost: 12 });
    const withArgs = (args: string, selection: string) =>
      post(yoga, args.includes('$n') ? `query ($n: Int) { items${args} ${selection} }` : `{ items${args} ${selection} }`, { variables: { n: 100 } });
    for (const args of ['', '(first: 1)', '(first: 100)', '(last: 100000)', '(first: $n)', '(first: 100, last: 100)']) {
      expect((await withArgs(args, '{ name child { name } }')).response.status, args).toBe(200);
    }
    const costly = (args: string) => withArgs(args, '{ name child { name child { name child { name } } } }');
    const refusals = await Promise.all(['', '(first: 1)', '(first: 100)', '(first: $n)'].map(costly));
    expect(refusals.map((a) => a.response.status)).toEqual([400, 400, 400, 400]);
    expect(new Set(refusals.map((a) => a.body.errors[0].extensions.cost)).size).toBe(1);
  });

  it('exempts introspection from cost', async () => {
    const { yoga } = limitsYoga({ maxCost: 5, maxDepth: 100 });
    expect((await post(yoga, '{ __schema { types { name fields { name } } } }')).response.status).toBe(200);
  });
});

describe('useOperationLimits: limits with no option (tokens, directives) and field suggestions', () => {
  it('refuses more than 20,000 tokens as a syntax error, while parsing', async () => {
    const { yoga, calls } = limitsYoga();
    // One field with a long list value: cheap by every other measure, only the token count can refuse it.
    const list = (n: number) => `{ echo(value: [${'1 '.repeat(n)}]) }`;
    expect((await post(yoga, list(19_990))).response.status).toBe(200);
    const { response, body } = await post(yoga, list(20_001));
    expect(response.status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(body.errors[0].message).toBe('Syntax Error: Token limit of 20000 exceeded.');
    expect(calls.echo).toBe(1);
  });

  it('refuses more than 50 directives at validation', async () => {
    const { yoga } = limitsYoga({ maxAliases: 100 });
    const fields = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `h${i}: hello @include(if: true)`).join(' ')} }`;
    expect((await post(yoga, fields(50))).response.status).toBe(200);
    await expectRefused(yoga, fields(51), /^Syntax Error: Directives limit of 50 exceeded, found 51\.$/);
  });

  it('blockFieldSuggestions hides "Did you mean", which would leak the schema', async () => {
    const hidden = await post(limitsYoga({ blockFieldSuggestions: true }).yoga, '{ helo nod { name } }');
    expect(JSON.stringify(hidden.body)).not.toMatch(/Did you mean|hello|"node"/);
    const shown = await post(limitsYoga({ blockFieldSuggestions: false }).yoga, '{ helo }');
    expect(shown.body.errors[0].message).toMatch(/Did you mean "hello"\?/);
  });
});
