import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApiKey } from '../support/gateway-process.ts';
import { connect, deleteUnder, redisReachable, REDIS_URL } from '../support/redis.ts';
import { startStack, type HeaderOverrides, type Stack } from '../support/stack.ts';
import { v1 } from '../auth/tokens.ts';

// Per-caller limits through the whole gateway (yoga.fetch in process, real emulator, real SDK): an API key
// with a limit of its own, keys on the overall default, and Clerk sessions on the session default.
const redisUp = await redisReachable('limiter/caller-limits');
const INVITE = 'mutation ($email: String!) { createInvitations(invitations: [{ emailAddress: $email }]) { createdCount } }';
const STATUS = '{ gatewayStatus { callerLimit { limit window windowSeconds remaining resetAt } } }';

/** `"invitations";q=3;w=3600` → { q: 3, w: 3600 }; anything not of that exact structured-field shape → null. */
function sfItem(value: string | null, keys: [string, string]): Record<string, number> | null {
  const match = value && new RegExp(`^"invitations";${keys[0]}=(\\d{1,15});${keys[1]}=(\\d{1,15})$`).exec(value);
  return match ? { [keys[0]]: Number(match[1]), [keys[1]]: Number(match[2]) } : null;
}

describe.each([
  { store: 'memory', redis: false },
  { store: 'Redis', redis: true },
])('caller limits with the $store store', ({ redis }) => {
  const skip = redis && !redisUp;
  const run = randomBytes(4).toString('hex');
  const importer = testApiKey(`import${run}`);
  const frontend = testApiKey(`frontend${run}`);
  const user = `user_${run}`;
  let stack: Stack;
  let email = 0;
  const bearer = (key: { headers: { authorization: string } }): HeaderOverrides => key.headers;
  const session = async () => ({ authorization: `Bearer ${await stack.emulator.signSessionToken(v1('org:admin', { sub: user }))}` });
  const invite = async (headers: HeaderOverrides) => {
    const { response, body } = await stack.request(INVITE, { email: `c${(email += 1)}-${run}@example.com` }, headers);
    return {
      status: response.status,
      code: body.errors?.[0]?.extensions?.code ?? 'OK',
      policy: sfItem(response.headers.get('ratelimit-policy'), ['q', 'w']),
      limit: sfItem(response.headers.get('ratelimit'), ['r', 't']),
    };
  };
  const status = async (headers: HeaderOverrides) => {
    const { response, body } = await stack.request(STATUS, {}, headers);
    return { response, limit: body.data?.gatewayStatus?.callerLimit, errors: body.errors };
  };

  beforeAll(async () => {
    if (skip) return;
    stack = await startStack({
      env: async (emulator) => ({
        CLERK_JWT_KEY: (await emulator.signingKey()).publicKeyPem,
        RATE_LIMIT_MAX: '2',
        RATE_LIMIT_WINDOW: '1h',
        RATE_LIMIT_SESSION_MAX: '4',
        GATEWAY_API_KEYS: `${importer.entry}:3/1h,${frontend.entry}`,
        ...(redis ? { REDIS_URL } : {}),
      }),
    });
  });

  afterAll(async () => {
    if (skip) return;
    await stack.close();
    if (redis) {
      const client = connect();
      for (const id of [`apikey:import${run}`, `apikey:frontend${run}`, `user:${user}`]) await deleteUnder(client, `cig:rl:${encodeURIComponent(id)}`);
      client.disconnect();
    }
  });

  it.skipIf(skip)('holds a key with its own limit to it, while another key is refused at the default', async () => {
    const imports = [];
    const frontends = [];
    for (let i = 0; i < 4; i += 1) {
      imports.push(await invite(bearer(importer)));
      frontends.push(await invite(bearer(frontend)));
    }
    expect(imports.map((a) => a.code)).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED']);
    expect(frontends.map((a) => a.code)).toEqual(['OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(imports[3]!.status).toBe(429);

    // The headers count what the limiter counted: the policy is the key's own, `r` falls with each call.
    expect(imports.map((a) => a.policy)).toEqual(Array(4).fill({ q: 3, w: 3600 }));
    expect(imports.map((a) => a.limit?.r)).toEqual([2, 1, 0, 0]);
    expect(frontends.map((a) => a.policy)).toEqual(Array(4).fill({ q: 2, w: 3600 }));
    expect(frontends.map((a) => a.limit?.r)).toEqual([1, 0, 0, 0]);
    // `t`: until the first counted invitation leaves the hour, whole seconds rounded up.
    for (const a of [...imports, ...frontends]) {
      expect(a.limit!.t).toBeGreaterThan(3500);
      expect(a.limit!.t).toBeLessThanOrEqual(3600);
    }
    // Only the admitted calls reached Clerk.
    expect(stack.emulator.calls.filter((c) => c.route === 'bulk' || c.route === 'single')).toHaveLength(5);
  });

  it.skipIf(skip)('gives Clerk sessions the session default, and shows each caller its own limit without spending it', async () => {
    const headers = await session();
    const reads = [];
    for (let i = 0; i < 5; i += 1) reads.push((await status(headers)).limit);
    expect(reads).toEqual(Array(5).fill({ limit: 4, window: '1h', windowSeconds: 3600, remaining: 4, resetAt: null }));

    const before = Date.now();
    expect((await invite(headers)).code).toBe('OK');
    const after = await status(headers);
    expect(after.limit).toMatchObject({ limit: 4, remaining: 3 });
    const resetAt = Date.parse(after.limit.resetAt);
    expect(resetAt).toBeGreaterThanOrEqual(before + 3_600_000 - 1000);
    expect(resetAt).toBeLessThanOrEqual(Date.now() + 3_600_000);
    // A status read is not a createInvitations call and carries no RateLimit fields.
    expect(after.response.headers.get('ratelimit')).toBeNull();
    for (let i = 0; i < 10; i += 1) await status(headers);

    const calls = [];
    for (let i = 0; i < 4; i += 1) calls.push(await invite(headers));
    expect(calls.map((a) => a.code)).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED']);
    expect(calls.map((a) => a.limit?.r)).toEqual([2, 1, 0, 0]);

    // The keys see their own limits, spent by the first test.
    expect((await status(bearer(importer))).limit).toMatchObject({ limit: 3, window: '1h', remaining: 0 });
    expect((await status(bearer(frontend))).limit).toMatchObject({ limit: 2, window: '1h', remaining: 0 });
  });
});

describe('CORS exposes the rate limit fields to allowed origins', () => {
  it('lists RateLimit and RateLimit-Policy in Access-Control-Expose-Headers', async () => {
    const stack = await startStack({ env: { CORS_ORIGINS: 'https://app.example.com', RATE_LIMIT_MAX: '5' } });
    try {
      const { response } = await stack.request(INVITE, { email: 'cors@example.com' }, { origin: 'https://app.example.com' });
      expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const exposed = (response.headers.get('access-control-expose-headers') ?? '').split(/\s*,\s*/).map((h) => h.toLowerCase());
      expect(exposed).toEqual(expect.arrayContaining(['ratelimit', 'ratelimit-policy', 'retry-after']));
      expect(sfItem(response.headers.get('ratelimit'), ['r', 't'])?.r).toBe(4);
    } finally {
      await stack.close();
    }
  });
});

describe('RateLimit fields on a replayed Idempotency-Key', () => {
  it('reports the current values without spending, and then counts the next new call', async () => {
    const importer = testApiKey('import');
    const stack = await startStack({ env: { RATE_LIMIT_MAX: '2', GATEWAY_API_KEYS: `${importer.entry}:3/1h` } });
    try {
      const call = async (email: string, key: string) => {
        const { response, body } = await stack.request(INVITE, { email }, { ...importer.headers, 'idempotency-key': key });
        expect(body.errors).toBeUndefined();
        return sfItem(response.headers.get('ratelimit'), ['r', 't'])?.r;
      };
      expect(await call('replay@example.com', 'k-1')).toBe(2);
      expect(await call('replay@example.com', 'k-1')).toBe(2);
      expect(await call('replay@example.com', 'k-1')).toBe(2);
      expect(await call('next@example.com', 'k-2')).toBe(1);
      expect(stack.emulator.calls.filter((c) => c.route === 'bulk' || c.route === 'single')).toHaveLength(2);
    } finally {
      await stack.close();
    }
  });
});

describe('RateLimit fields for windows that are not whole seconds', () => {
  it('rounds the window and the wait up, never to a zero window', async () => {
    const { rateLimitFields } = await import('../../src/plugins/use-rate-limit-headers.ts');
    const report = { coordinate: 'Mutation.createInvitations', max: 10, windowMs: 500, remaining: 9, resetAfterMs: 1 };
    expect(rateLimitFields('invitations', report)).toEqual({ policy: '"invitations";q=10;w=1', limit: '"invitations";r=9;t=1' });
    expect(rateLimitFields('in"v\\', { ...report, windowMs: 90_500, resetAfterMs: 0 })).toEqual({
      policy: '"in\\"v\\\\";q=10;w=91',
      limit: '"in\\"v\\\\";r=9;t=0',
    });
  });
});
