import { describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_NESTING, useValueNestingLimit } from '../../src/plugins/use-value-nesting-limit.ts';
import { pluginYoga, post } from '../support/plugin-yoga.ts';

/** `{ echo(value: [[…1…]]) }` with `lists` list brackets: the document nests lists + 2 brackets. */
const nestedList = (lists: number) => `{ echo(value: ${'['.repeat(lists)}1${']'.repeat(lists)}) }`;
/** The same depth as an object value, `{a: {a: …}}`. */
const nestedObject = (objects: number) => `{ echo(value: ${'{a: '.repeat(objects)}1${'}'.repeat(objects)}) }`;

describe('useValueNestingLimit: the default limit (MAX_DOCUMENT_NESTING)', () => {
  it('is 100 brackets of any kind', () => {
    expect(MAX_DOCUMENT_NESTING).toBe(100);
  });

  it('lets a document of exactly 100 levels through to the parser and the resolver', async () => {
    const { yoga, calls } = pluginYoga([useValueNestingLimit()]);
    // Selection braces and the argument parentheses count: 2 + 98 lists = 100.
    const { response, body } = await post(yoga, nestedList(98));
    expect(response.status).toBe(200);
    expect(JSON.stringify(body.data.echo)).toBe(`${'['.repeat(98)}1${']'.repeat(98)}`);
    expect(calls.echo).toBe(1);
  });

  it('refuses 101 levels before parsing: 400 BAD_USER_INPUT naming the field, line and column', async () => {
    const { yoga, calls } = pluginYoga([useValueNestingLimit()]);
    for (const query of [nestedList(99), nestedObject(99)]) {
      const { response, body } = await post(yoga, query);
      expect(response.status).toBe(400);
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: expect.stringMatching(/^echo(\.value)?(\.a)?$/) });
      expect(body.errors[0].message).toMatch(/nested deeper than 100 levels at line 1, column \d+; publicMetadata may nest at most 32 levels/);
    }
    expect(calls).toEqual({});
  });

  it('answers a document a million brackets deep with the same 400, where graphql-js alone would overflow its stack', async () => {
    const { yoga } = pluginYoga([useValueNestingLimit()]);
    for (const query of [nestedList(1_000_000), `{ ${'node { child '.repeat(50_000)} name ${'}'.repeat(50_001)} }`, '['.repeat(200_000)]) {
      const { response, body } = await post(yoga, query);
      expect(response.status).toBe(400);
      expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
  });

  it('names at most four argument and value names on the way, and "document" for bare selection sets', async () => {
    const { yoga } = pluginYoga([useValueNestingLimit()]);
    const selections = await post(yoga, `{ ${'node { child { '.repeat(60)}name${' } }'.repeat(60)} }`);
    expect(selections.body.errors[0].message).toMatch(/^document: nested deeper than 100 levels at line 1, column \d+;/);
    const values = await post(yoga, `{ echo(value: {a: {b: {c: {d: {e: ${'['.repeat(100)}1${']'.repeat(100)}}}}}}) }`);
    expect(values.body.errors[0].extensions.field).toBe('echo.value.a.b');
  });
});

describe('useValueNestingLimit: what does not count', () => {
  it('brackets inside strings, block strings and comments', async () => {
    const { yoga } = pluginYoga([useValueNestingLimit()]);
    const many = '[{('.repeat(500);
    const query = `# ${many}\n{ echo(value: "${many}") b: echo(value: """${many}""") }`;
    const { response, body } = await post(yoga, query);
    expect(response.status).toBe(200);
    expect(body.data.echo).toBe(many);
  });

  it('closing brackets inside a string do not hide the depth of the brackets after it', async () => {
    const { yoga, calls } = pluginYoga([useValueNestingLimit()]);
    const query = `{ a: echo(value: "${')]}'.repeat(300)}") echo(value: ${'['.repeat(99)}1${']'.repeat(99)}) }`;
    const { response, body } = await post(yoga, query);
    expect(response.status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(calls).toEqual({});
  });

  it('brackets in sequence rather than nested', async () => {
    const { yoga } = pluginYoga([useValueNestingLimit()]);
    const { response } = await post(yoga, `{ echo(value: [${Array.from({ length: 5000 }, () => '[1]').join(', ')}]) }`);
    expect(response.status).toBe(200);
  });

  it('variables: deep JSON variables are not part of the document (the field rules judge them)', async () => {
    const { yoga } = pluginYoga([useValueNestingLimit()]);
    let deep: unknown = 1;
    for (let i = 0; i < 500; i++) deep = [deep];
    const { response } = await post(yoga, 'query ($v: JSON) { echo(value: $v) }', { variables: { v: deep } });
    expect(response.status).toBe(200);
  });

  it('a document the lexer cannot read is left to the parser, which reports a syntax error', async () => {
    const { yoga } = pluginYoga([useValueNestingLimit()]);
    const { response, body } = await post(yoga, `{ echo(value: "unterminated ${'['.repeat(200)}`);
    expect(response.status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });
});

describe('useValueNestingLimit(max)', () => {
  it('takes another limit', async () => {
    const { yoga } = pluginYoga([useValueNestingLimit(5)]);
    expect((await post(yoga, nestedList(3))).response.status).toBe(200);
    const { response, body } = await post(yoga, nestedList(4));
    expect(response.status).toBe(400);
    expect(body.errors[0].message).toMatch(/^echo\.value: nested deeper than 5 levels at line 1, column 18;/);
  });
});
