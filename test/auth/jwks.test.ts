import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClerkTokenVerifier } from '../../src/auth/clerk-tokens.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { hmacWithPublicKey, unsignedToken, v1, v2 } from './tokens.ts';

// No CLERK_JWT_KEY: the gateway loads Clerk's keys from GET /v1/jwks with the secret key.
let stack: Stack;
const other = 'sk_test_jwks_other_instance';
beforeEach(async () => {
  stack = await startStack({ emulator: { secretKeys: ['sk_test_jwks_main_instance', other] } });
});
afterEach(() => stack.close());

const INVITE = 'mutation ($email: String!) { createInvitations(invitations: [{ emailAddress: $email }]) { createdCount } }';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const jwksCalls = () => stack.emulator.calls.filter((c) => c.route === 'jwks').length;

describe('session tokens verified through the JWKS', () => {
  it('fetches the keys once and reuses them', async () => {
    for (const [i, claims] of [v1('org:admin'), v2('admin'), v1('org:admin', { sub: 'user_other' })].entries()) {
      const { body } = await stack.request(INVITE, { email: `p${i}@example.com` }, bearer(await stack.emulator.signSessionToken(claims)));
      expect(body.errors).toBeUndefined();
    }
    expect(jwksCalls()).toBe(1);
    expect(stack.emulator.calls[0]?.route).toBe('jwks');
    expect(stack.emulator.invitations()).toHaveLength(3);
  });

  it('fetches nothing for tokens that fail the cheap checks', async () => {
    const { kid, publicKeyPem } = await stack.emulator.signingKey();
    for (const token of ['a.b.c', unsignedToken(v1('org:admin'), kid), hmacWithPublicKey(v1('org:admin'), kid, publicKeyPem)]) {
      const { response } = await stack.request(INVITE, { email: 'x@example.com' }, bearer(token));
      expect(response.status).toBe(401);
    }
    expect(stack.emulator.calls).toEqual([]);
  });

  it('looks an unknown kid up at most once per cooldown, however many tokens name one', async () => {
    const foreign = await stack.emulator.signSessionToken(v1('org:admin'), { secretKey: other });
    for (let i = 0; i < 5; i++) {
      const { response } = await stack.request(INVITE, { email: 'x@example.com' }, bearer(foreign));
      expect(response.status).toBe(401);
    }
    expect(stack.emulator.calls.map((c) => c.route)).toEqual(['jwks']);
  });

  it('answers 503, not 401, when the keys cannot be loaded', async () => {
    stack.emulator.faults.add({ route: 'jwks', fault: 'error500-before-commit' });
    const { response, body } = await stack.request(INVITE, { email: 'x@example.com' }, bearer(await stack.emulator.signSessionToken(v1('org:admin'))));
    expect(response.status).toBe(503);
    expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(response.headers.get('retry-after')).toBe('5');
    expect(stack.emulator.calls.filter((c) => c.route !== 'jwks')).toEqual([]);
  });
});

describe('a JWKS endpoint that hangs', () => {
  // The verifier the gateway builds, on a clock the test can move past the key set's lifetime.
  let offset = 0;
  const verifier = (timeoutMs: number) =>
    new ClerkTokenVerifier({ secretKey: stack.secretKey, apiUrl: stack.emulator.url, timeoutMs, jwksTtlMs: 60_000, now: () => Date.now() + offset, authorizedParties: [] });
  // Calls reach the emulator in the order they were sent; one more call after them shows none is missing.
  const settledJwksCalls = async () => {
    await fetch(`${stack.emulator.url}/v1/users/count`, { headers: { authorization: `Bearer ${stack.secretKey}` } });
    return jwksCalls();
  };

  it('once the key set lapses, requests get the last good keys at once while one refresh runs behind them', async () => {
    // A fetch bound far beyond the test's own timeout: a request that waited for the refresh fails the test.
    const tokens = verifier(600_000);
    const token = await stack.emulator.signSessionToken(v1('org:admin'));
    expect((await tokens.verify(token)).ok).toBe(true);
    stack.emulator.faults.add({ route: 'jwks', fault: 'hang' });
    offset += 120_000;
    const checks = await Promise.all([1, 2, 3].map(() => tokens.verify(token)));
    expect(checks.map((c) => c.ok)).toEqual([true, true, true]);
    await vi.waitFor(() => expect(jwksCalls()).toBe(2));
    expect((await tokens.verify(await stack.emulator.signSessionToken(v2('admin')))).ok).toBe(true);
    expect(await settledJwksCalls()).toBe(2);
  });

  it('a token with an unknown kid waits for one bounded fetch, then gets "unavailable", and the cooldown holds', async () => {
    const tokens = verifier(200);
    stack.emulator.faults.add({ route: 'jwks', fault: 'hang' });
    const check = await tokens.verify(await stack.emulator.signSessionToken(v1('org:admin')));
    expect(check).toMatchObject({ ok: false, reason: 'jwks-unavailable', unavailable: true });
    expect(check.ok || check.message).toMatch(/did not answer within 200 ms/);
    const again = await tokens.verify(await stack.emulator.signSessionToken(v1('org:admin'), { secretKey: other }));
    expect(again).toMatchObject({ ok: false, unavailable: true });
    expect(await settledJwksCalls()).toBe(1);
  });

  it('a refresh that timed out leaves the last good keys in service', async () => {
    const tokens = verifier(200);
    const token = await stack.emulator.signSessionToken(v1('org:admin'));
    expect((await tokens.verify(token)).ok).toBe(true);
    stack.emulator.faults.add({ route: 'jwks', fault: 'hang' });
    offset += 120_000;
    expect((await tokens.verify(token)).ok).toBe(true);
    // An unknown kid joins the refresh in flight, so its answer shows that the refresh gave up.
    const unknown = await tokens.verify(await stack.emulator.signSessionToken(v1('org:admin'), { secretKey: other }));
    expect(unknown).toMatchObject({ ok: false, unavailable: true });
    expect((await tokens.verify(token)).ok).toBe(true);
    // After the cooldown the next request starts a new (bounded) refresh, and is served meanwhile.
    offset += 31_000;
    expect((await tokens.verify(token)).ok).toBe(true);
    await vi.waitFor(() => expect(jwksCalls()).toBe(3));
  });
});
