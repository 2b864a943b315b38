import { describe, expect, it } from 'vitest';
import { useCors, type CorsOptions } from '../../src/plugins/use-cors.ts';
import { pluginYoga, post, send } from '../support/plugin-yoga.ts';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';

/** yoga's own `cors` stays off, as in the gateway: the plugin alone decides. */
const corsYoga = (options: CorsOptions) => pluginYoga([useCors(options)], { yoga: { cors: false } });

const preflight = (yoga: ReturnType<typeof corsYoga>['yoga'], origin?: string) =>
  send(yoga, '/graphql', {
    method: 'OPTIONS',
    headers: { ...(origin === undefined ? {} : { origin }), 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
  });

const fromOrigin = (origin: string) => ({ headers: { origin } });

describe('useCors: preflight (OPTIONS)', () => {
  it('answers a listed origin 204 with the methods, the request headers the gateway reads, and Max-Age 600 by default', async () => {
    const { yoga, calls } = corsYoga({ origins: [APP] });
    const { response, body } = await preflight(yoga, APP);
    expect(response.status).toBe(204);
    expect(body).toBe('');
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST');
    const allowed = response.headers.get('access-control-allow-headers')?.split(', ');
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'accept', 'x-api-key', 'x-request-id', 'idempotency-key', 'graphql-require-preflight', 'x-graphql-csrf']));
    expect(allowed).not.toContain('cookie');
    expect(response.headers.get('access-control-max-age')).toBe('600');
    expect(response.headers.get('vary')).toMatch(/Origin/);
    expect(calls).toEqual({});
  });

  it('takes maxAgeSeconds', async () => {
    const { yoga } = corsYoga({ origins: [APP], maxAgeSeconds: 5 });
    expect((await preflight(yoga, APP)).response.headers.get('access-control-max-age')).toBe('5');
  });

  it('answers an unlisted or missing origin 204 without a single Access-Control-Allow-* header', async () => {
    const { yoga } = corsYoga({ origins: [APP] });
    for (const origin of [EVIL, undefined, 'null', `${APP}/`, 'https://APP.example.com', `${APP}.evil.example`, `${APP}, ${EVIL}`, `${APP}:443`, 'http://app.example.com']) {
      const { response } = await preflight(yoga, origin);
      expect(response.status).toBe(204);
      const granted = [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));
      expect(granted, String(origin)).toEqual([]);
    }
  });

  it('ends every OPTIONS request, on any path, before yoga sees it', async () => {
    const { yoga } = corsYoga({ origins: [APP] });
    const { response } = await send(yoga, '/anything', { method: 'OPTIONS', headers: { origin: APP } });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST');
  });
});

describe('useCors: actual requests', () => {
  it('lets a listed origin read the answer with credentials, and exposes the headers a client needs', async () => {
    const { yoga } = corsYoga({ origins: ['https://other.example', APP] });
    const { response, body } = await post(yoga, '{ hello }', fromOrigin(APP));
    expect(body).toEqual({ data: { hello: 'world' } });
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-expose-headers')?.split(', ')).toEqual(
      expect.arrayContaining(['X-Request-Id', 'Retry-After', 'WWW-Authenticate', 'RateLimit', 'RateLimit-Policy']),
    );
    expect(response.headers.get('vary')).toMatch(/Origin/);
  });

  it('sets no Access-Control header for an unlisted origin (not even "null"), but still Vary: Origin for caches', async () => {
    const { yoga } = corsYoga({ origins: [APP] });
    for (const origin of [EVIL, 'null', `${APP}/`]) {
      const { response, body } = await post(yoga, '{ hello }', fromOrigin(origin));
      // The request itself is served: CORS only keeps the page from reading it.
      expect(body).toEqual({ data: { hello: 'world' } });
      expect([...response.headers.keys()].filter((n) => n.startsWith('access-control-'))).toEqual([]);
      expect(response.headers.get('vary')).toMatch(/Origin/);
    }
  });

  it('with no origins configured, lets no origin in', async () => {
    const { yoga } = corsYoga({ origins: [] });
    const { response } = await post(yoga, '{ hello }', fromOrigin(APP));
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(yoga, APP)).response.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('with *, echoes any origin but never allows credentials', async () => {
    const { yoga } = corsYoga({ origins: ['*'] });
    for (const origin of [EVIL, APP]) {
      const { response } = await post(yoga, '{ hello }', fromOrigin(origin));
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      const pre = await preflight(yoga, origin);
      expect(pre.response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(pre.response.headers.get('access-control-allow-methods')).toBe('GET, POST');
    }
    // No Origin: not a cross-origin request, nothing to grant.
    expect((await post(yoga, '{ hello }')).response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('grants on error answers too, so the page can read why it was refused', async () => {
    const { yoga } = corsYoga({ origins: [APP] });
    const { response } = await post(yoga, '{ nope }', fromOrigin(APP));
    expect(response.status).toBe(400);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
  });
});
