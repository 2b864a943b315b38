import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiKeyRing, generateApiKey, hashApiKey } from '../../src/auth/api-keys.ts';
import { isPreflighted, readCredential } from '../../src/auth/credentials.ts';
import { JwksKeySource } from '../../src/auth/jwks-keys.ts';
import { userMayInvite } from '../../src/auth/rights.ts';

const req = (headers: Record<string, string>, method = 'POST') => new Request('http://gateway.test/graphql', { method, headers });

describe('readCredential', () => {
  it('reads a bearer header, an X-API-Key header or the __session cookie, header first', () => {
    expect(readCredential(req({ authorization: 'Bearer abc' }))).toEqual({ kind: 'present', source: 'authorization', value: 'abc' });
    expect(readCredential(req({ authorization: 'bearer   abc ' }))).toMatchObject({ value: 'abc' });
    expect(readCredential(req({ 'x-api-key': ' k ' }))).toEqual({ kind: 'present', source: 'x-api-key', value: 'k' });
    expect(readCredential(req({ cookie: 'a=1; __session=tok; b=2' }))).toEqual({ kind: 'present', source: 'cookie', value: 'tok' });
    expect(readCredential(req({ cookie: '__session=tok', authorization: 'Bearer h' }))).toMatchObject({ source: 'authorization', value: 'h' });
    expect(readCredential(req({ cookie: 'other=1' }))).toEqual({ kind: 'none' });
  });

  it('refuses what it would have to guess about', () => {
    expect(readCredential(req({ authorization: 'Bearer a', 'x-api-key': 'b' }))).toMatchObject({ kind: 'malformed', reason: 'two-credentials' });
    expect(readCredential(req({ cookie: '__session=a; __session=b' }))).toMatchObject({ kind: 'malformed', reason: 'duplicate-session-cookie' });
    expect(readCredential(req({ authorization: 'Token abc' }))).toMatchObject({ kind: 'malformed', reason: 'authorization-not-bearer' });
    expect(readCredential(req({ authorization: 'Bearer a b' }))).toMatchObject({ kind: 'malformed' });
    expect(readCredential(req({ authorization: 'Bearer ' }))).toMatchObject({ kind: 'malformed' });
    expect(readCredential(req({ 'x-api-key': ' ' }))).toMatchObject({ kind: 'malformed' });
    expect(readCredential(req({ authorization: `Bearer ${'x'.repeat(9000)}` }))).toMatchObject({ reason: 'credential-too-long' });
  });
});

describe('isPreflighted', () => {
  it('accepts non-simple content types and the CSRF headers, refuses what a form or no-cors fetch can send', () => {
    expect(isPreflighted(req({ 'content-type': 'application/json' }))).toBe(true);
    expect(isPreflighted(req({ 'content-type': 'application/graphql-response+json; charset=utf-8' }))).toBe(true);
    expect(isPreflighted(req({ 'graphql-require-preflight': '1' }, 'GET'))).toBe(true);
    expect(isPreflighted(req({ 'x-graphql-csrf': 'yes', 'content-type': 'text/plain' }))).toBe(true);
    expect(isPreflighted(req({ 'content-type': 'text/plain;charset=UTF-8' }))).toBe(false);
    expect(isPreflighted(req({ 'content-type': 'Application/X-WWW-Form-Urlencoded' }))).toBe(false);
    expect(isPreflighted(req({ 'content-type': 'multipart/form-data; boundary=x' }))).toBe(false);
    expect(isPreflighted(req({}, 'GET'))).toBe(false);
  });
});

describe('gateway API keys', () => {
  it('hashes exactly like `printf %s "$KEY" | sha256sum`', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^gwk_[\w-]{43}$/);
    const shell = execFileSync('sh', ['-c', 'printf %s "$KEY" | sha256sum'], { env: { KEY: key, PATH: process.env.PATH } });
    expect(hashApiKey(key)).toBe(shell.toString().split(' ')[0]);
  });

  it('matches by hash and names the key, and refuses near misses', () => {
    const [ci, ops] = [generateApiKey(), generateApiKey()];
    const ring = new ApiKeyRing([
      { name: 'ci', sha256: hashApiKey(ci) },
      { name: 'ops', sha256: hashApiKey(ops) },
    ]);
    expect(ring.match(ci)).toBe('ci');
    expect(ring.match(ops)).toBe('ops');
    expect(ring.match(`${ci} `)).toBeUndefined();
    expect(ring.match(ci.slice(0, -1))).toBeUndefined();
    expect(ring.match(hashApiKey(ci))).toBeUndefined();
    expect(new ApiKeyRing([]).match(ci)).toBeUndefined();
  });

  it('finds every key among thousands, an upper-case digest too, and the first name of a key listed twice', () => {
    const keys = Array.from({ length: 5_000 }, () => generateApiKey());
    const ring = new ApiKeyRing([
      ...keys.map((key, i) => ({ name: `k${i}`, sha256: i === 7 ? hashApiKey(key).toUpperCase() : hashApiKey(key) })),
      { name: 'again', sha256: hashApiKey(keys[3]!) },
    ]);
    expect(ring.size).toBe(5_000);
    keys.forEach((key, i) => expect(ring.match(key)).toBe(`k${i}`));
    expect(ring.match(generateApiKey())).toBeUndefined();
  });
});

describe('inviter rights', () => {
  const policy = { roles: ['org:admin'], permissions: ['org:invitations:manage'], machines: [] };
  it('grants on any matching role or permission', () => {
    expect(userMayInvite({ role: 'org:admin', permissions: [] }, policy)).toBe(true);
    expect(userMayInvite({ role: 'org:member', permissions: ['org:invitations:manage'] }, policy)).toBe(true);
    expect(userMayInvite({ role: 'org:member', permissions: ['org:invitations:read'] }, policy)).toBe(false);
    expect(userMayInvite({ role: null, permissions: [] }, policy)).toBe(false);
  });

  it('with INVITER_ORGS, counts roles and permissions only in those organizations', () => {
    const scoped = { ...policy, orgs: ['org_main'] };
    expect(userMayInvite({ id: 'org_main', role: 'org:admin', permissions: [] }, scoped)).toBe(true);
    expect(userMayInvite({ id: 'org_mine', role: 'org:admin', permissions: [] }, scoped)).toBe(false);
    expect(userMayInvite({ id: null, role: 'org:admin', permissions: [] }, scoped)).toBe(false);
  });
});

describe('JwksKeySource', () => {
  const jwk = () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return publicKey.export({ format: 'jwk' });
  };
  function source(keys: () => object[]) {
    let clock = 0;
    let fetches = 0;
    const s = new JwksKeySource({
      fetchKeys: async () => {
        fetches++;
        return keys() as never;
      },
      ttlMs: 1000,
      cooldownMs: 100,
      now: () => clock,
    });
    return { s, tick: (ms: number) => (clock += ms), fetches: () => fetches };
  }

  it('fetches once for concurrent lookups and once per cooldown for unknown kids', async () => {
    const key = { ...jwk(), kid: 'k1', use: 'sig' };
    const { s, tick, fetches } = source(() => [key]);
    const found = await Promise.all([s.pemFor('k1'), s.pemFor('k1'), s.pemFor('k1')]);
    expect(found.every((f) => 'pem' in f)).toBe(true);
    expect(fetches()).toBe(1);
    expect(await s.pemFor('nope')).toEqual({ missing: true });
    expect(await s.pemFor('nope')).toEqual({ missing: true });
    expect(fetches()).toBe(1);
    tick(150);
    await s.pemFor('nope');
    expect(fetches()).toBe(2);
  });

  it('keeps known keys when Clerk cannot be reached, and says so for unknown ones', async () => {
    let up = true;
    const key = { ...jwk(), kid: 'k1' };
    const { s, tick } = source(() => {
      if (!up) throw new Error('connection refused');
      return [key];
    });
    expect(await s.pemFor('k1')).toHaveProperty('pem');
    up = false;
    tick(2000);
    expect(await s.pemFor('k1')).toHaveProperty('pem');
    expect(await s.pemFor('k2')).toEqual({ unavailable: true, message: 'connection refused' });
  });
});
