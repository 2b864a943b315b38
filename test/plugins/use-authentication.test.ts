import { describe, expect, it } from 'vitest';
import type { AuthOutcome } from '../../src/auth/authenticator.ts';
import { createLogger } from '../../src/logger.ts';
import { callerOf, useAuthentication } from '../../src/plugins/use-authentication.ts';
import { pluginYoga, post, send, SPEC_MEDIA_TYPE } from '../support/plugin-yoga.ts';

/** The plugin with an authenticator that answers `outcome` (the credential check itself is tested in test/auth). */
function authYoga(outcome: AuthOutcome | ((request: Request) => AuthOutcome), yogaOptions: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  const asked: Request[] = [];
  const authenticate = async (request: Request) => {
    asked.push(request);
    return typeof outcome === 'function' ? outcome(request) : outcome;
  };
  const { yoga, calls } = pluginYoga([useAuthentication({ authenticate, logger })], {
    resolvers: { Query: { hello: (_: unknown, __: unknown, context: { request: Request }) => callerOf(context.request)?.id ?? 'nobody' } },
    yoga: yogaOptions,
  });
  return { yoga, calls, asked, logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const refused = (reason: string, detail?: string): AuthOutcome => ({ ok: false, status: 401, reason, source: 'authorization', ...(detail ? { detail } : {}) });
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJl';
const bearer = { headers: { authorization: `Bearer ${TOKEN}` } };

describe('useAuthentication: an admitted caller', () => {
  it('reaches the resolvers, which find it through callerOf(request)', async () => {
    const { yoga, asked, logs } = authYoga({ ok: true, source: 'authorization', caller: { id: 'user:user_1', kind: 'user', inviter: true } });
    const { response, body } = await post(yoga, '{ hello }', bearer);
    expect(response.status).toBe(200);
    expect(body).toEqual({ data: { hello: 'user:user_1' } });
    expect(asked).toHaveLength(1);
    expect(logs()).toContainEqual(expect.objectContaining({ msg: 'authenticated', caller: 'user:user_1', via: 'authorization' }));
  });

  it('is asked once per HTTP request, also for a batch of operations, and for GET', async () => {
    const { yoga, asked } = authYoga({ ok: true, source: 'x-api-key', caller: { id: 'apikey:ci', kind: 'apikey', inviter: true } }, { batching: true });
    const batch = await send(yoga, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'gwk_x' },
      body: JSON.stringify([{ query: '{ hello }' }, { query: '{ a: hello }' }, { query: '{ b: hello }' }]),
    });
    expect(batch.body).toEqual([{ data: { hello: 'apikey:ci' } }, { data: { a: 'apikey:ci' } }, { data: { b: 'apikey:ci' } }]);
    expect(asked).toHaveLength(1);
    const get = await send(yoga, '/graphql?query=%7Bhello%7D', { headers: { 'x-api-key': 'gwk_x' } });
    expect(get.body).toEqual({ data: { hello: 'apikey:ci' } });
    expect(asked).toHaveLength(2);
    // A request the plugin never saw has no caller.
    expect(callerOf(new Request('http://yoga.test/graphql'))).toBeUndefined();
  });
});

describe('useAuthentication: refusals', () => {
  it('without a credential: 401, WWW-Authenticate: Bearer and the generic message, before the body is parsed', async () => {
    const { yoga, calls } = authYoga({ ok: false, status: 401, reason: 'no-credential' });
    for (const accept of [SPEC_MEDIA_TYPE, 'application/json', '*/*']) {
      const { response, body } = await post(yoga, '{ hello }', { headers: { accept } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(body.errors).toEqual([{ message: 'Authentication required: send a Clerk session token or a gateway API key.', extensions: { code: 'UNAUTHENTICATED' } }]);
    }
    // A body that is not even JSON is refused for its missing credential, not parsed.
    const garbage = await send(yoga, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(garbage.response.status).toBe(401);
    expect(calls).toEqual({});
  });

  it.each([
    ['token-expired', undefined, /has expired; get a fresh one from Clerk \(getToken\(\)\)/],
    ['two-credentials', undefined, /^Send one credential: either Authorization or X-API-Key, not both\.$/],
    ['token-claims-invalid', 'azp "https://evil.example" is not allowed', /^The credential is not valid: azp "https:\/\/evil.example" is not allowed\.$/],
    ['token-claims-invalid', undefined, /^The credential is not valid: malformed claims\.$/],
    ['machine-audience-mismatch', undefined, /another audience \(aud\)/],
  ])('%s (%s): 401 with a message that helps the caller recover', async (reason, detail, message) => {
    const { yoga } = authYoga(refused(reason, detail));
    const { response, body } = await post(yoga, '{ hello }', bearer);
    expect(response.status).toBe(401);
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(body.errors[0].message).toMatch(message);
  });

  it('any other reason: the plain "not valid", never the reason or its detail', async () => {
    for (const reason of ['unknown-api-key', 'token-signature-invalid', 'credential-too-long', 'authorization-not-bearer', 'something-new']) {
      const { yoga } = authYoga(refused(reason, `detail quoting ${TOKEN}`));
      const { response, body } = await post(yoga, '{ hello }', bearer);
      expect(response.status).toBe(401);
      expect(body.errors[0].message).toBe('The credential is not valid.');
      expect(JSON.stringify(body)).not.toContain(reason);
      expect(JSON.stringify(body)).not.toContain(TOKEN);
    }
  });

  it('Clerk unreachable (503): SERVICE_UNAVAILABLE with Retry-After 5, and no 401 that would sign the user out', async () => {
    const { yoga, calls } = authYoga({ ok: false, status: 503, reason: 'jwks-unreachable', source: 'authorization' });
    const { response, body } = await post(yoga, '{ hello }', bearer);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(body.errors[0].extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5 });
    expect(calls).toEqual({});
  });

  it('logs the reason and request, never the credential', async () => {
    const { yoga, logs } = authYoga(refused('token-signature-invalid', 'kid not found'));
    await post(yoga, '{ hello }', { headers: { authorization: `Bearer ${TOKEN}`, 'x-request-id': 'req-auth-1' } });
    expect(logs()).toContainEqual(expect.objectContaining({ level: 30, requestId: 'req-auth-1', reason: 'token-signature-invalid', detail: 'kid not found', via: 'authorization', status: 401 }));
    expect(JSON.stringify(logs())).not.toContain(TOKEN);
  });

  it('answers each request for its own credential when many arrive at once', async () => {
    const { yoga } = authYoga((request) =>
      request.headers.get('x-api-key') === 'good' ? { ok: true, source: 'x-api-key', caller: { id: 'apikey:good', kind: 'apikey', inviter: true } } : refused('unknown-api-key'),
    );
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(yoga, '{ hello }', { headers: { 'x-api-key': i % 2 ? 'good' : 'bad' } })));
    answers.forEach(({ response, body }, i) => {
      if (i % 2) expect(body).toEqual({ data: { hello: 'apikey:good' } });
      else expect(response.status).toBe(401);
    });
  });
});
