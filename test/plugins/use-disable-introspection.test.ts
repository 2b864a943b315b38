import { describe, expect, it } from 'vitest';
import { useDisableIntrospection } from '../../src/plugins/use-disable-introspection.ts';
import { pluginYoga, post, send } from '../support/plugin-yoga.ts';

const REFUSED = [
  '{ __schema { queryType { name } } }',
  '{ __type(name: "Query") { name } }',
  '{ hello s: __schema { types { name } } }',
  '{ ...F } fragment F on Query { __type(name: "Node") { fields { name } } }',
  '{ ... on Query { ... on Query { __schema { directives { name } } } } }',
  '{ node { child { name } } __schema @skip(if: true) { types { name } } }',
];

describe('useDisableIntrospection', () => {
  it.each(REFUSED)('refuses %s at validation, before any resolver', async (query) => {
    const { yoga, calls } = pluginYoga([useDisableIntrospection()]);
    const { response, body } = await post(yoga, query);
    expect(response.status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors[0].message).toMatch(/introspection/i);
    expect(calls).toEqual({});
  });

  it('refuses the introspection query GraphiQL and codegen send, by GET as well', async () => {
    const { yoga } = pluginYoga([useDisableIntrospection()]);
    const query = encodeURIComponent('query IntrospectionQuery { __schema { types { name fields { name } } } }');
    const { response, body } = await send(yoga, `/graphql?query=${query}`, { headers: { accept: 'application/json' } });
    // application/json callers get their validation errors with 200, as yoga answers them.
    expect(response.status).toBe(200);
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(body)).not.toContain('"Node"');
  });

  it('keeps __typename, anywhere', async () => {
    const { yoga } = pluginYoga([useDisableIntrospection()]);
    const { response, body } = await post(yoga, '{ __typename hello node { __typename name } }');
    expect(response.status).toBe(200);
    expect(body).toEqual({ data: { __typename: 'Query', hello: 'world', node: { __typename: 'Node', name: 'n0' } } });
  });

  it('leaves ordinary operations and mutations alone', async () => {
    const { yoga } = pluginYoga([useDisableIntrospection()]);
    expect((await post(yoga, 'mutation { revokeInvitation(id: "__schema") }')).body).toEqual({ data: { revokeInvitation: '__schema' } });
  });
});
