import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { BadUserInputError, RateLimitedError, UnauthenticatedError } from '../../src/errors.ts';
import { CsrfBlockedError } from '../../src/plugins/use-csrf-prevention.ts';
import { useGraphQLOverHttpStatus } from '../../src/plugins/use-graphql-over-http-status.ts';
import { startStack, type Stack } from '../support/stack.ts';

const JSON_ACCEPTS: Record<string, string | null> = {
  'application/json': 'application/json',
  'no Accept header': null,
  '*/*': '*/*',
};
const SPEC = 'application/graphql-response+json';
const REVOKE_UNKNOWN = 'mutation { revokeInvitation(id: "inv_doesnotexist") { id } }';
const INVITE = 'mutation ($e: String!) { createInvitations(invitations: [{ emailAddress: $e }]) { createdCount } }';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { RATE_LIMIT_MAX: '1' } });
});
afterAll(() => stack.close());

describe('a resolver error with a status, for application/json callers (Apollo Client sends */*)', () => {
  it.each(Object.entries(JSON_ACCEPTS))('NOT_FOUND with %s: HTTP 200 and the GraphQL error', async (_name, accept) => {
    const { response, body } = await stack.request(REVOKE_UNKNOWN, undefined, { accept });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(body).toMatchObject({ data: null, errors: [{ extensions: { code: 'NOT_FOUND' } }] });
    // `http` is yoga's internal channel and never reaches the client.
    expect(body.errors?.[0]?.extensions?.http).toBeUndefined();
  });

  it('and the status for application/graphql-response+json, which asked for status codes', async () => {
    const { response, body } = await stack.request(REVOKE_UNKNOWN, undefined, { accept: SPEC });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('RATE_LIMITED (the caller limit, RATE_LIMIT_MAX=1)', () => {
  it('keeps Retry-After on the 200 for application/json, and is 429 for graphql-response+json', async () => {
    const first = await stack.request(INVITE, { e: 'once@example.com' }, { accept: 'application/json' });
    expect(first.body.data?.createInvitations.createdCount).toBe(1);
    const json = await stack.request(INVITE, { e: 'twice@example.com' }, { accept: 'application/json' });
    expect(json.response.status).toBe(200);
    expect(json.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(json.response.headers.get('retry-after')).toBe(String(json.body.errors?.[0]?.extensions?.retryAfterSeconds));
    // Placed at the refused field, as graphql-js places a resolver's error.
    expect(json.body.errors?.[0]).toMatchObject({ path: ['createInvitations'], locations: [{ line: 1, column: 26 }] });
    const spec = await stack.request(INVITE, { e: 'thrice@example.com' }, { accept: SPEC });
    expect(spec.response.status).toBe(429);
    expect(spec.response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(stack.emulator.invitations().map((i) => i.emailAddress)).toEqual(['once@example.com']);
  });
});

describe('refusals before any GraphQL runs', () => {
  it('a missing or invalid credential stays 401 with WWW-Authenticate, whatever the media type', async () => {
    for (const accept of ['application/json', SPEC, null]) {
      for (const authorization of [null, 'Bearer gk_wrong']) {
        const { response, body } = await stack.request('{ __typename }', undefined, { accept, authorization });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
        expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }
    }
  });

  it('a validation error is 200 for application/json and 400 for graphql-response+json', async () => {
    const json = await stack.request('{ nope }', undefined, { accept: 'application/json' });
    expect(json.response.status).toBe(200);
    expect(json.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(json.body.data).toBeUndefined();
    expect((await stack.request('{ nope }', undefined, { accept: SPEC })).response.status).toBe(400);
  });

  it('a gateway refusal at validation (two createInvitations in one mutation) follows the same rule', async () => {
    const both = 'mutation { a: createInvitations(invitations: [{ emailAddress: "a@example.com" }]) { createdCount } b: createInvitations(invitations: [{ emailAddress: "b@example.com" }]) { createdCount } }';
    const json = await stack.request(both, undefined, { accept: 'application/json' });
    expect(json.response.status).toBe(200);
    expect(json.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await stack.request(both, undefined, { accept: SPEC })).response.status).toBe(400);
  });
});

/** The plugin alone on a small schema, for the shapes the gateway's non-null root fields never produce. */
function miniYoga(onRequestParse?: () => void) {
  return createYoga({
    logging: false,
    maskedErrors: { isDev: false },
    schema: createSchema({
      typeDefs: 'type Query { ok: String, limited: String, required: String! }',
      resolvers: {
        Query: {
          ok: () => 'ok',
          limited: () => {
            throw new RateLimitedError('slow down', 7);
          },
          required: () => {
            throw new RateLimitedError('slow down', 7);
          },
        },
      },
    }),
    plugins: [useGraphQLOverHttpStatus(), onRequestParse ? { onRequestParse } : {}],
  });
}
const post = (yoga: { fetch(url: string, init: RequestInit): Promise<Response> | Response }, query: string, accept: string) =>
  yoga.fetch('http://mini.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query }) });

describe('statuses the spec fixes', () => {
  it('an error beside data can never make the response non-2xx (partial data is success), and keeps Retry-After', async () => {
    const yoga = miniYoga();
    for (const accept of ['application/json', SPEC]) {
      for (const query of ['{ ok limited }', '{ limited }']) {
        const response = await post(yoga, query, accept);
        expect(response.status).toBe(200);
        expect(response.headers.get('retry-after')).toBe('7');
        const body = await response.json();
        expect(body.data).toMatchObject({ limited: null });
        expect(body.errors[0].extensions.code).toBe('RATE_LIMITED');
      }
    }
  });

  it('without plugin for comparison: yoga alone answers 429 to the same partial data', async () => {
    const yoga = createYoga({
      logging: false,
      schema: createSchema({ typeDefs: 'type Query { ok: String, limited: String }', resolvers: { Query: { ok: () => 'ok', limited: () => { throw new RateLimitedError('slow down', 7); } } } }),
    });
    expect((await post(yoga, '{ ok limited }', 'application/json')).status).toBe(429);
  });

  it('data null from a failed non-null field: the status for graphql-response+json only', async () => {
    const yoga = miniYoga();
    const spec = await post(yoga, '{ required }', SPEC);
    expect(spec.status).toBe(429);
    expect(await spec.json()).toMatchObject({ data: null });
    const json = await post(yoga, '{ required }', 'application/json');
    expect(json.status).toBe(200);
    expect(json.headers.get('retry-after')).toBe('7');
  });

  it('an unexpected failure before execution: masked, 500 for graphql-response+json, 200 for application/json', async () => {
    const yoga = miniYoga(() => {
      throw new Error('secret internals');
    });
    const spec = await post(yoga, '{ ok }', SPEC);
    expect(spec.status).toBe(500);
    const json = await post(yoga, '{ ok }', 'application/json');
    expect(json.status).toBe(200);
    const body = await json.json();
    expect(body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(body)).not.toContain('secret internals');
  });
});

describe('refusals thrown before execution, by the plugin alone', () => {
  const refusing = (error: Error) => miniYoga(() => {
    throw error;
  });

  it('UNAUTHENTICATED (401, WWW-Authenticate) and CSRF_BLOCKED (403) keep their status for application/json too', async () => {
    for (const [error, status] of [[new UnauthenticatedError(), 401], [new CsrfBlockedError(), 403]] as const) {
      for (const accept of ['application/json', '*/*', SPEC]) {
        const response = await post(refusing(error), '{ ok }', accept);
        expect(response.status, `${error.name} ${accept}`).toBe(status);
      }
    }
    expect((await post(refusing(new UnauthenticatedError()), '{ ok }', 'application/json')).headers.get('www-authenticate')).toBe('Bearer');
  });

  it('any other gateway refusal is 200 for application/json and keeps its status and headers for graphql-response+json', async () => {
    const bad = refusing(new BadUserInputError('too many items'));
    const json = await post(bad, '{ ok }', 'application/json');
    expect(json.status).toBe(200);
    expect((await json.json()).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect((await post(bad, '{ ok }', SPEC)).status).toBe(400);
    const limited = refusing(new RateLimitedError('slow down', 2.2));
    const spec = await post(limited, '{ ok }', SPEC);
    expect(spec.status).toBe(429);
    expect(spec.headers.get('retry-after')).toBe('3');
    expect((await post(limited, '{ ok }', 'application/json')).headers.get('retry-after')).toBe('3');
  });

  it('leaves an error that is not the gateway\'s own as yoga answers it', async () => {
    const foreign = refusing(new GraphQLError('teapot', { extensions: { http: { status: 418 } } }));
    expect((await post(foreign, '{ ok }', 'application/json')).status).toBe(418);
  });
});

