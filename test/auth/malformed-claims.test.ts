import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HeaderOverrides, startStack, type Stack } from '../support/stack.ts';
import { APP_ORIGIN, localSigner, now, rawToken, v1, v2 } from './tokens.ts';

// Correctly signed tokens whose claims have the wrong shape: the signature holds, so only the
// gateway's own claim checks stand between them and the SDK's parser and the rights check.
const signer = localSigner();
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    env: {
      CLERK_JWT_KEY: signer.publicKeyPem,
      INVITER_PERMISSIONS: 'org:invitations:manage',
      INVITER_MACHINES: 'mch_allowed',
      CLERK_M2M_AUDIENCE: 'mch_gateway,https://gateway.test',
    },
  });
});
afterAll(() => stack.close());
beforeEach(() => stack.emulator.reset());

const INVITE = 'mutation ($email: String!) { createInvitations(invitations: [{ emailAddress: $email }]) { createdCount } }';
const bearer = (token: string): HeaderOverrides => ({ authorization: `Bearer ${token}` });
const huge = (n: number) => 'x'.repeat(n);
const v2With = (o: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  v2('admin', { o: { id: 'org_1', rol: 'admin', slg: 'acme', per: 'read,manage', fpm: '3', ...o }, ...extra });

type Case = [name: string, claims: Record<string, unknown>, claim: string];

const malformed: Case[] = [
  ['v1 org_permissions a string', v1('org:member', { org_permissions: 'org:invitations:manage' }), 'org_permissions'],
  ['v1 org_permissions with numbers', v1('org:member', { org_permissions: [1, 2] }), 'org_permissions.0'],
  ['v1 org_permissions an object', v1('org:member', { org_permissions: { some: 'org:invitations:manage' } }), 'org_permissions'],
  ['v1 org_permissions with a nested array', v1('org:member', { org_permissions: [['org:invitations:manage']] }), 'org_permissions.0'],
  ['v1 org_id a number', v1('org:admin', { org_id: 123 }), 'org_id'],
  ['v1 org_id an object', v1('org:admin', { org_id: { id: 'org_1' } }), 'org_id'],
  ['v1 org_role an array', v1('org:admin', { org_role: ['org:admin'] }), 'org_role'],
  ['v1 org_role a huge string', v1('org:admin', { org_role: huge(5000) }), 'org_role'],
  ['v1 org_slug a boolean', v1('org:admin', { org_slug: false }), 'org_slug'],
  ['v2 o a string', v2('admin', { o: 'org_1' }), 'o'],
  ['v2 o an array', v2('admin', { o: [] }), 'o'],
  ['v2 o.id a number', v2With({ id: 5 }), 'o.id'],
  ['v2 o.rol an object', v2With({ rol: { admin: true } }), 'o.rol'],
  ['v2 o.slg an array', v2With({ slg: [] }), 'o.slg'],
  ['v2 o.per an array', v2With({ per: ['read', 'manage'] }), 'o.per'],
  ['v2 o.fpm a number', v2With({ fpm: 3 }), 'o.fpm'],
  ['v2 o.fpm not decimal', v2With({ fpm: 'abc' }), 'o.fpm'],
  ['v2 o.fpm a 60-digit mask (quadratic in the SDK parser)', v2With({ fpm: '9'.repeat(60) }), 'o.fpm'],
  ['v2 fea an array', v2('admin', { fea: ['o:invitations'] }), 'fea'],
  ['v as a string', v2('admin', { v: '2' }), 'v'],
  ['sub a number', v1('org:admin', { sub: 42 }), 'sub'],
  ['sub an object', v1('org:admin', { sub: { id: 'user_1' } }), 'sub'],
  ['sub null', v1('org:admin', { sub: null }), 'sub'],
  ['sub empty', v1('org:admin', { sub: '' }), 'sub'],
  ['sub a huge string', v1('org:admin', { sub: `user_${huge(4000)}` }), 'sub'],
  ['azp an array', v1('org:admin', { azp: [APP_ORIGIN] }), 'azp'],
  ['sts a number', v1('org:admin', { sts: 1 }), 'sts'],
  ['sid an array', v1('org:admin', { sid: ['sess_1'] }), 'sid'],
  ['exp a string', v1('org:admin', { exp: 'tomorrow' }), 'exp'],
  ['M2M scopes a number', { sub: 'mch_allowed', scopes: 5 }, 'scopes'],
  ['M2M aud a number', { sub: 'mch_allowed', aud: 5 }, 'aud'],
  ['M2M aud with an object', { sub: 'mch_allowed', aud: [{ id: 'mch_gateway' }] }, 'aud'],
];

describe('a correctly signed token with malformed claims', () => {
  it.each(malformed)('%s: 401 naming the claim, not a 500, and nothing reaches Clerk', async (_name, claims, claim) => {
    const { response, body } = await stack.request(INVITE, { email: 'x@example.com' }, bearer(await signer.sign(claims)));
    expect(response.status).toBe(401);
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(body.errors?.[0]?.message).toContain(`claim "${claim}" is malformed`);
    expect(stack.emulator.calls).toEqual([]);
  });

  it.each([
    ['a null payload', rawToken({ alg: 'RS256', typ: 'JWT' }, null)],
    ['an array payload', rawToken({ alg: 'RS256', typ: 'JWT' }, [1, 2])],
    ['a string payload', rawToken({ alg: 'RS256', typ: 'JWT' }, 'user_1')],
    ['a null header', rawToken(null, v1('org:admin'))],
    ['an array header', rawToken(['RS256'], v1('org:admin'))],
    ['an algorithm that is an object', rawToken({ alg: { name: 'RS256' } }, v1('org:admin'))],
  ])('a token with %s: 401, not a 500', async (_name, token) => {
    const { response, body } = await stack.request(INVITE, { email: 'x@example.com' }, bearer(token));
    expect(response.status).toBe(401);
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('null where Clerk may omit a claim reads as absent: no permissions, no organization', async () => {
    const admin = await stack.request(INVITE, { email: 'a@example.com' }, bearer(await signer.sign(v1('org:admin', { org_permissions: null, org_slug: null }))));
    expect(admin.body.errors).toBeUndefined();
    const noOrg = await stack.request(INVITE, { email: 'b@example.com' }, bearer(await signer.sign(v2('admin', { o: null }))));
    expect(noOrg.response.status).toBe(403);
    expect(noOrg.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('an M2M token issued for another audience', () => {
  const m2m = (extra: Record<string, unknown>) => signer.sign({ sub: 'mch_allowed', scopes: '', ...extra });

  it.each([
    ['another machine', { aud: 'mch_other_service' }],
    ['several other machines', { aud: ['mch_a', 'mch_b'] }],
    ['another origin', { aud: 'https://other.example' }],
  ])('naming %s: 401, nothing reaches Clerk', async (_name, extra) => {
    const { response, body } = await stack.request(INVITE, { email: 'x@example.com' }, bearer(await m2m(extra)));
    expect(response.status).toBe(401);
    expect(body.errors?.[0]?.message).toMatch(/another audience/);
    expect(stack.emulator.calls).toEqual([]);
  });

  it.each([
    ['naming this gateway by machine id', { aud: 'mch_gateway' }],
    ['naming this gateway among others', { aud: ['mch_other', 'https://gateway.test'] }],
    ['without aud (judged by machine id alone)', {}],
    ['with an empty aud (names no one)', { aud: [] }],
  ])('%s: accepted', async (_name, extra) => {
    const { body } = await stack.request(INVITE, { email: 'm@example.com' }, bearer(await m2m(extra)));
    expect(body.errors).toBeUndefined();
    expect(body.data.createInvitations.createdCount).toBe(1);
  });

  it('is refused whatever it names when CLERK_M2M_AUDIENCE is unset; a token without aud still works', async () => {
    const open = await startStack({ env: { CLERK_JWT_KEY: signer.publicKeyPem, INVITER_MACHINES: 'mch_allowed' } });
    try {
      const named = await open.request(INVITE, { email: 'x@example.com' }, bearer(await m2m({ aud: 'mch_gateway' })));
      expect(named.response.status).toBe(401);
      const plain = await open.request(INVITE, { email: 'y@example.com' }, bearer(await m2m({ exp: now() + 30 })));
      expect(plain.body.errors).toBeUndefined();
    } finally {
      await open.close();
    }
  });
});
