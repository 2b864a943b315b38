import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
