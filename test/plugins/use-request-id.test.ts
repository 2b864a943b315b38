import { describe, expect, it } from 'vitest';
import { requestIdOf, useRequestId } from '../../src/plugins/use-request-id.ts';
import { pluginYoga, post, send } from '../support/plugin-yoga.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The id the resolvers see for the request, next to the one the response carries. */
function yogaWithSeenIds() {
  const seen: string[] = [];
  const { yoga } = pluginYoga([useRequestId()], {
    resolvers: { Query: { hello: (_: unknown, __: unknown, context: { request: Request }) => (seen.push(requestIdOf(context.request)), 'world') } },
  });
  return { yoga, seen };
}

const withId = (id: string) => ({ headers: { 'x-request-id': id } });

describe('useRequestId', () => {
  it('answers a fresh UUID when the caller sends none, and a different one per request', async () => {
    const { yoga, seen } = yogaWithSeenIds();
    const first = await post(yoga, '{ hello }');
    const second = await post(yoga, '{ hello }');
    const ids = [first, second].map((a) => a.response.headers.get('x-request-id'));
    expect(ids[0]).toMatch(UUID);
    expect(ids[1]).toMatch(UUID);
    expect(ids[0]).not.toBe(ids[1]);
    // The id in the response is the one the request was handled (and logged) under.
    expect(seen).toEqual(ids);
  });

  it("keeps a sane caller id (letters, digits, . _ : -, up to 128 characters) as it is", async () => {
    const { yoga, seen } = yogaWithSeenIds();
    for (const id of ['abc', 'req-1.2_3:4', 'A'.repeat(128), '0']) {
      const { response } = await post(yoga, '{ hello }', withId(id));
      expect(response.headers.get('x-request-id')).toBe(id);
    }
    expect(seen).toEqual(['abc', 'req-1.2_3:4', 'A'.repeat(128), '0']);
  });

  it('replaces an id that is too long, empty or carries anything a log line or header could be bent by', async () => {
    const { yoga } = yogaWithSeenIds();
    for (const id of ['A'.repeat(129), '', 'a b', '<script>', 'id;drop', 'a/b', '"quoted"', 'x'.repeat(100_000), 'caf\u00e9', '%0d%0aSet-Cookie:x']) {
      const { response } = await post(yoga, '{ hello }', withId(id));
      expect(response.headers.get('x-request-id'), id.slice(0, 20)).toMatch(UUID);
    }
  });

  it('is on every response: refusals, unknown paths, GET and preflight-like requests', async () => {
    const { yoga } = yogaWithSeenIds();
    const answers = [
      await post(yoga, '{ nope }', withId('validation')),
      await post(yoga, '{', withId('parse')),
      await send(yoga, '/nowhere', { headers: { 'x-request-id': 'not-found' } }),
      await send(yoga, '/graphql?query=%7Bhello%7D', { headers: { 'x-request-id': 'get' } }),
      await send(yoga, '/graphql', { method: 'OPTIONS', headers: { 'x-request-id': 'options' } }),
    ];
    expect(answers.map((a) => a.response.status)).toEqual([400, 400, 404, 200, 204]);
    expect(answers.map((a) => a.response.headers.get('x-request-id'))).toEqual(['validation', 'parse', 'not-found', 'get', 'options']);
  });

  it('sets one value even when the caller sent the header twice', async () => {
    const { yoga } = yogaWithSeenIds();
    const headers = new Headers([['content-type', 'application/json'], ['x-request-id', 'one'], ['x-request-id', 'two']]);
    const response = await yoga.fetch('http://yoga.test/graphql', { method: 'POST', headers, body: JSON.stringify({ query: '{ hello }' }) });
    // Two values join as "one, two", which is not a sane id.
    expect(response.headers.get('x-request-id')).toMatch(UUID);
  });

  it('requestIdOf gives one request the same id every time, without the plugin too', () => {
    const request = new Request('http://yoga.test/graphql');
    expect(requestIdOf(request)).toBe(requestIdOf(request));
    expect(requestIdOf(new Request('http://yoga.test/graphql', { headers: { 'x-request-id': 'kept' } }))).toBe('kept');
  });
});
