import { describe, expect, it } from 'vitest';
import { useCsrfPrevention } from '../../src/plugins/use-csrf-prevention.ts';
import { pluginYoga, send } from '../support/plugin-yoga.ts';

const csrfYoga = () => pluginYoga([useCsrfPrevention()]);
const COOKIE = { cookie: '__session=eyJhbGciOi.payload.sig' };
const BODY = JSON.stringify({ query: '{ hello }' });

const postWith = (yoga: ReturnType<typeof csrfYoga>['yoga'], headers: Record<string, string>, body = BODY) =>
  send(yoga, '/graphql', { method: 'POST', headers: { accept: 'application/json', ...headers }, body });
const getWith = (yoga: ReturnType<typeof csrfYoga>['yoga'], headers: Record<string, string>) =>
  send(yoga, '/graphql?query=%7Bhello%7D', { headers: { accept: 'application/json', ...headers } });

function expectBlocked(answer: { response: Response; body: { errors?: { message: string; extensions: { code: string } }[] } }) {
  expect(answer.response.status).toBe(403);
  expect(answer.body.errors?.[0]?.extensions.code).toBe('CSRF_BLOCKED');
  expect(answer.body.errors?.[0]?.message).toMatch(/graphql-require-preflight \/ x-graphql-csrf/);
}

describe('useCsrfPrevention: session-cookie requests a browser would send without preflight', () => {
  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ' TEXT/PLAIN ; charset=utf-8'])('refuses a POST with %s with 403 before anything runs', async (type) => {
    const { yoga, calls } = csrfYoga();
    expectBlocked(await postWith(yoga, { ...COOKIE, 'content-type': type }));
    expect(calls).toEqual({});
  });

  it('refuses a GET (no content type at all), and a POST without a content type', async () => {
    const { yoga, calls } = csrfYoga();
    expectBlocked(await getWith(yoga, COOKIE));
    expectBlocked(await postWith(yoga, COOKIE));
    expect(calls).toEqual({});
  });

  it('refuses malformed session cookies too: empty, or two of them (a sibling subdomain planted one)', async () => {
    const { yoga } = csrfYoga();
    expectBlocked(await getWith(yoga, { cookie: '__session=' }));
    expectBlocked(await getWith(yoga, { cookie: '__session=a; other=1; __session=b' }));
    expectBlocked(await getWith(yoga, { cookie: `__session=${'x'.repeat(10_000)}` }));
  });
});

describe('useCsrfPrevention: what it lets through', () => {
  it('a cookie request a browser preflights: a JSON body, whatever its case and parameters', async () => {
    const { yoga, calls } = csrfYoga();
    for (const type of ['application/json', 'Application/JSON; charset=utf-8', 'application/graphql-response+json']) {
      const { response, body } = await postWith(yoga, { ...COOKIE, 'content-type': type });
      expect(response.status, type).not.toBe(403);
      expect(body.errors?.[0]?.extensions?.code).not.toBe('CSRF_BLOCKED');
    }
    expect(calls.hello).toBeGreaterThanOrEqual(1);
  });

  it.each(['graphql-require-preflight', 'x-graphql-csrf', 'GraphQL-Require-Preflight'])('a cookie GET or form POST carrying %s', async (header) => {
    const { yoga } = csrfYoga();
    for (const value of ['1', 'true']) {
      const { response, body } = await getWith(yoga, { ...COOKIE, [header]: value });
      expect(response.status).toBe(200);
      expect(body).toEqual({ data: { hello: 'world' } });
    }
    const form = await postWith(yoga, { ...COOKIE, [header]: '1', 'content-type': 'application/x-www-form-urlencoded' }, 'query=%7Bhello%7D');
    expect(form.response.status).not.toBe(403);
  });

  it('requests with a header credential, which already force a preflight, even beside the cookie', async () => {
    const { yoga } = csrfYoga();
    for (const headers of <Record<string, string>[]>[{ authorization: 'Bearer gwk_x' }, { 'x-api-key': 'gwk_x' }, { ...COOKIE, authorization: 'Bearer gwk_x' }, { authorization: 'Basic abc' }]) {
      const { response } = await getWith(yoga, headers);
      expect(response.status).toBe(200);
    }
  });

  it('requests with no credential at all, and cookies that are not the session', async () => {
    const { yoga } = csrfYoga();
    for (const headers of <Record<string, string>[]>[{}, { cookie: 'x__session=a' }, { cookie: '__session_x=a; theme=dark' }, { cookie: '__client_uat=0' }]) {
      const { response } = await getWith(yoga, headers);
      expect(response.status).toBe(200);
    }
  });
});
