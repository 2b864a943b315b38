import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HeaderOverrides, startStack, type Stack } from '../support/stack.ts';
import { APP_ORIGIN, foreignKeyToken, hmacWithPublicKey, now, tamperedToken, unsignedToken, v1, v2 } from './tokens.ts';

let stack: Stack;
let kid: string;
let publicKeyPem: string;
const otherInstance = 'sk_test_other_instance_for_wrong_key_tests';

beforeAll(async () => {
  stack = await startStack({
    emulator: { secretKeys: ['sk_test_matrix_main_instance', otherInstance] },
    logLevel: 'info',
    env: async (emulator) => ({
      // One-line form, as in a .env file or a CI secret.
      CLERK_JWT_KEY: (await emulator.signingKey()).publicKeyPem.trim().replace(/\n/g, '\\n'),
      CLERK_AUTHORIZED_PARTIES: APP_ORIGIN,
      INVITER_PERMISSIONS: 'org:invitations:manage',
      INVITER_MACHINES: 'mch_allowed',
    }),
  });
  ({ kid, publicKeyPem } = await stack.emulator.signingKey());
});
afterAll(() => stack.close());
beforeEach(() => stack.emulator.reset());

const bearer = (token: string): HeaderOverrides => ({ authorization: `Bearer ${token}` });
const sign = (claims: Record<string, unknown>, options?: { secretKey?: string; expiresInSeconds?: number }) =>
  stack.emulator.signSessionToken(claims, options);
const INVITE = 'mutation ($email: String!) { createInvitations(invitations: [{ emailAddress: $email }]) { createdCount } }';

type Case = [name: string, headers: () => Promise<HeaderOverrides> | HeaderOverrides];

const unauthenticated: Case[] = [
  ['no credential', () => ({ authorization: null })],
  ['garbage bearer value', () => bearer('garbage')],
  ['garbage JWT-shaped value', () => bearer('eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl')],
  ['expired token', () => sign(v1('org:admin', { iat: now() - 600, exp: now() - 120 })).then(bearer)],
  ['nbf in the future', () => sign(v1('org:admin', { nbf: now() + 300 })).then(bearer)],
  ['wrong signature (payload changed after signing)', () => tamperedToken(stack.emulator, v1('org:member'), { org_role: 'org:admin' }).then(bearer)],
  ['wrong key (another Clerk instance)', () => sign(v1('org:admin'), { secretKey: otherInstance }).then(bearer)],
  ['wrong key (never issued by Clerk, same kid)', () => foreignKeyToken(v1('org:admin'), kid).then(bearer)],
  ['alg: none', () => bearer(unsignedToken(v1('org:admin'), kid))],
  ['HS256 signed with the public key', () => bearer(hmacWithPublicKey(v1('org:admin'), kid, publicKeyPem))],
  ['wrong azp', () => sign(v1('org:admin', { azp: 'https://evil.example' })).then(bearer)],
  ['no azp while CLERK_AUTHORIZED_PARTIES is set', () => sign(v1('org:admin', { azp: undefined })).then(bearer)],
  ['pending session', () => sign(v2('admin', { sts: 'pending' })).then(bearer)],
  ['unknown API key (Bearer)', () => bearer('gwk_not-a-configured-key')],
  ['unknown API key (X-API-Key)', () => ({ authorization: null, 'x-api-key': 'gwk_not-a-configured-key' })],
  ['two credentials at once', () => ({ 'x-api-key': stack.apiKey })],
  ['Basic instead of Bearer', () => ({ authorization: `Basic ${Buffer.from(`x:${stack.apiKey}`).toString('base64')}` })],
];

const forbidden: Case[] = [
  ['member role (v1 claims)', () => sign(v1('org:member')).then(bearer)],
  ['member role (v2 claims) with only a read permission', () => sign(v2('member')).then(bearer)],
  ['no active organization', () => sign({ sub: 'user_solo', azp: APP_ORIGIN }).then(bearer)],
  ['M2M token of a machine not in INVITER_MACHINES', () => sign({ sub: 'mch_other', scopes: '' }).then(bearer)],
];

const allowed: Case[] = [
  ['admin role (v1 claims)', () => sign(v1('org:admin')).then(bearer)],
  ['admin role (v2 claims)', () => sign(v2('admin')).then(bearer)],
  ['member with org:invitations:manage (v2 permission bits)', () => sign(v2('member', { o: { id: 'org_1', rol: 'member', per: 'read,manage', fpm: '3' } })).then(bearer)],
  ['member with org:invitations:manage (v1 permissions)', () => sign(v1('org:member', { org_permissions: ['org:invitations:manage'] })).then(bearer)],
  ['gateway API key (Bearer)', () => ({})],
  ['gateway API key (X-API-Key)', () => ({ authorization: null, 'x-api-key': stack.apiKey })],
  ['M2M token of a machine in INVITER_MACHINES', () => sign({ sub: 'mch_allowed', scopes: '' }).then(bearer)],
  ['session cookie with Content-Type: application/json', async () => ({ authorization: null, cookie: `__session=${await sign(v1('org:admin'))}` })],
  ['session cookie with GraphQL-Require-Preflight', async () => ({ authorization: null, 'graphql-require-preflight': '1', cookie: `__session=${await sign(v1('org:admin'))}` })],
];

describe('credentials that do not authenticate', () => {
  it.each(unauthenticated)('%s: 401 UNAUTHENTICATED, nothing reaches Clerk', async (_name, headers) => {
    const { response, body } = await stack.request(INVITE, { email: 'x@example.com' }, await headers());
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(body.data).toBeUndefined();
    expect(stack.emulator.calls).toEqual([]);
  });

  it('tells an expired session to refresh, and logs each reason without the token', async () => {
    const expired = await sign(v1('org:admin', { iat: now() - 600, exp: now() - 120 }));
    const { body } = await stack.request(INVITE, { email: 'x@example.com' }, bearer(expired));
    expect(body.errors?.[0]?.message).toMatch(/expired.*getToken/);
    const tokens = [expired, unsignedToken(v1('org:admin'), kid), await sign(v1('org:admin', { azp: 'https://evil.example' }))];
    for (const token of tokens.slice(1)) await stack.request(INVITE, { email: 'x@example.com' }, bearer(token));
    const logged = stack.logs.join('');
    for (const reason of ['token-expired', 'token-invalid-algorithm', 'token-invalid-authorized-parties']) expect(logged).toContain(reason);
    for (const token of tokens) expect(logged).not.toContain(token.split('.')[1]);
  });
});

describe('authenticated callers without the inviter right', () => {
  it.each(forbidden)('%s: 403 FORBIDDEN, nothing reaches Clerk', async (_name, headers) => {
    const { response, body } = await stack.request(INVITE, { email: 'x@example.com' }, await headers());
    expect(response.status).toBe(403);
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(body.data).toBeNull();
    expect(stack.emulator.calls).toEqual([]);
  });

  it('are refused gatewayStatus too', async () => {
    const { response, body } = await stack.request('{ gatewayStatus { pendingInvitations } }', {}, bearer(await sign(v1('org:member'))));
    expect(response.status).toBe(403);
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('callers with the inviter right', () => {
  it.each(allowed)('%s: invites', async (_name, headers) => {
    const { response, body } = await stack.request(INVITE, { email: 'ok@example.com' }, await headers());
    expect(body.errors).toBeUndefined();
    expect(response.status).toBe(200);
    expect(body.data.createInvitations.createdCount).toBe(1);
    expect(stack.emulator.invitations().map((i) => i.emailAddress)).toEqual(['ok@example.com']);
  });
});

describe('what rejected calls leave behind', () => {
  it("spends none of Clerk's budget", async () => {
    for (const [, headers] of [...unauthenticated, ...forbidden]) await stack.request(INVITE, { email: 'x@example.com' }, await headers());
    const bulk = await stack.app.services.budget.status('bulk');
    expect(bulk.remaining).toBe(bulk.limit);
    expect(stack.emulator.calls).toEqual([]);
  });
});

describe('caller identity for the rate limiter', () => {
  it('is user:<sub>, and FORBIDDEN answers do not count against it', async () => {
    const limited = await startStack({
      env: async (emulator) => ({ CLERK_JWT_KEY: (await emulator.signingKey()).publicKeyPem, RATE_LIMIT_MAX: '2' }),
    });
    try {
      const as = async (role: string) => bearer(await limited.emulator.signSessionToken(v1(role, { sub: 'user_same' })));
      for (let i = 0; i < 3; i++) {
        const { body } = await limited.request(INVITE, { email: `m${i}@example.com` }, await as('org:member'));
        expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
      const codes = [];
      for (let i = 0; i < 3; i++) {
        const { body } = await limited.request(INVITE, { email: `a${i}@example.com` }, await as('org:admin'));
        codes.push(body.errors?.[0]?.extensions?.code ?? 'OK');
      }
      expect(codes).toEqual(['OK', 'OK', 'RATE_LIMITED']);
      // Another identity (the API key) has its own allowance.
      const { body } = await limited.request(INVITE, { email: 'key@example.com' });
      expect(body.errors).toBeUndefined();
    } finally {
      await limited.close();
    }
  });
});
