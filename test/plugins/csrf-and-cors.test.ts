import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.ts';
import { v1 } from '../auth/tokens.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const STATUS = '{ gatewayStatus { pendingInvitations } }';
const INVITE = 'mutation { createInvitations(invitations: [{ emailAddress: "csrf@example.com" }]) { createdCount } }';

describe('CSRF protection for session-cookie callers', () => {
  async function cookie() {
    stack = await startStack();
    return `__session=${await stack.emulator.signSessionToken(v1('org:admin'))}`;
  }

  it('refuses requests a foreign page could make the browser send, before verifying the cookie', async () => {
    const session = await cookie();
    const s = stack!;
    const forged = [
      s.fetch(`/graphql?query=${encodeURIComponent(STATUS)}`, { headers: { cookie: session, accept: 'application/json' } }),
      s.fetch('/graphql', {
        method: 'POST',
        headers: { cookie: session, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: INVITE }).toString(),
      }),
      s.fetch('/graphql', { method: 'POST', headers: { cookie: session, 'content-type': 'text/plain' }, body: JSON.stringify({ query: INVITE }) }),
      s.fetch('/graphql', { method: 'POST', headers: { cookie: session, 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' }),
    ];
    for (const response of await Promise.all(forged)) {
      expect(response.status).toBe(403);
      const body = await response.json();
      expect(body.errors[0].extensions.code).toBe('CSRF_BLOCKED');
      expect(body.errors[0].message).toMatch(/application\/json.*graphql-require-preflight/);
    }
    // Not even the JWKS was fetched: the token was never looked at, and nothing was invited.
    expect(s.emulator.calls).toEqual([]);
  });

  it('serves cookie callers whose request a browser preflights', async () => {
    const session = await cookie();
    const s = stack!;
    const viaGet = await s.fetch(`/graphql?query=${encodeURIComponent(STATUS)}`, {
      headers: { cookie: session, accept: 'application/json', 'x-graphql-csrf': '1' },
    });
    expect(viaGet.status).toBe(200);
    const viaJson = await s.request(INVITE, undefined, { authorization: null, cookie: session });
    expect(viaJson.body.data.createInvitations.createdCount).toBe(1);
  });

  it('does not concern header credentials, which already force a preflight', async () => {
    stack = await startStack();
    const response = await stack.fetch(`/graphql?query=${encodeURIComponent(STATUS)}`, {
      headers: { authorization: `Bearer ${stack.apiKey}`, accept: 'application/json' },
    });
    expect(response.status).toBe(200);
  });
});

describe('CORS', () => {
  const preflight = (s: Stack, origin: string) =>
    s.fetch('/graphql', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
  const post = (s: Stack, origin: string) =>
    s.fetch('/graphql', {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${s.apiKey}` },
      body: JSON.stringify({ query: STATUS }),
    });

  it('by default lets no other origin in', async () => {
    stack = await startStack();
    const options = await preflight(stack, 'https://app.example.com');
    expect(options.status).toBe(204);
    expect(options.headers.get('access-control-allow-origin')).toBeNull();
    expect(options.headers.get('access-control-allow-headers')).toBeNull();
    const response = await post(stack, 'https://app.example.com');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('vary')).toMatch(/Origin/);
  });

  it('lets listed origins in with credentials, and no one else (not even "null")', async () => {
    stack = await startStack({ env: { CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' } });
    const options = await preflight(stack, 'https://admin.example.com');
    expect(options.headers.get('access-control-allow-origin')).toBe('https://admin.example.com');
    expect(options.headers.get('access-control-allow-credentials')).toBe('true');
    expect(options.headers.get('access-control-allow-headers')).toMatch(/authorization.*x-api-key.*graphql-require-preflight/);
    const response = await post(stack, 'https://app.example.com');
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(response.headers.get('access-control-expose-headers')).toMatch(/Retry-After/);
    for (const origin of ['https://evil.example', 'null', 'https://app.example.com.evil.example']) {
      expect((await preflight(stack, origin)).headers.get('access-control-allow-origin')).toBeNull();
      expect((await post(stack, origin)).headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('with *, lets any origin in without cookies', async () => {
    stack = await startStack({ env: { CORS_ORIGINS: '*' } });
    const response = await post(stack, 'https://anywhere.example');
    expect(response.headers.get('access-control-allow-origin')).toBe('https://anywhere.example');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
