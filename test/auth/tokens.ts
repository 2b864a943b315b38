import { createHmac, generateKeyPairSync } from 'node:crypto';
import { signJwt } from '@clerk/backend/jwt';
import type { Emulator } from '../../src/emulator/index.ts';

export const APP_ORIGIN = 'http://app.test';
export const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** v1 session claims with an organization role. */
export const v1 = (role: string, extra: Record<string, unknown> = {}) => ({
  sub: 'user_v1',
  azp: APP_ORIGIN,
  org_id: 'org_1',
  org_slug: 'acme',
  org_role: role,
  org_permissions: [],
  ...extra,
});

/** v2 session claims: `o.rol` is the role without `org:`, permissions come from `fea`, `o.per` and `o.fpm`. */
export const v2 = (role: string, extra: Record<string, unknown> = {}) => ({
  sub: 'user_v2',
  azp: APP_ORIGIN,
  v: 2,
  fea: 'o:invitations',
  o: { id: 'org_1', rol: role, slg: 'acme', per: 'read,manage', fpm: '1' },
  ...extra,
});

/** An unsigned token (`alg: none`). */
export function unsignedToken(claims: Record<string, unknown>, kid: string): string {
  return `${b64({ alg: 'none', typ: 'JWT', kid })}.${b64({ iat: now(), exp: now() + 60, ...claims })}.`;
}

/** HS256 "signed" with the RSA public key as the HMAC secret: the classic algorithm confusion. */
export function hmacWithPublicKey(claims: Record<string, unknown>, kid: string, publicKeyPem: string): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${b64({ iat: now(), nbf: now() - 5, exp: now() + 60, ...claims })}`;
  return `${input}.${createHmac('sha256', publicKeyPem).update(input).digest('base64url')}`;
}

/** RS256 with a key Clerk never issued, under the instance's own kid. */
export async function foreignKeyToken(claims: Record<string, unknown>, kid: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return signJwt({ iat: now(), nbf: now() - 5, exp: now() + 60, ...claims }, pem, { algorithm: 'RS256', header: { kid, typ: 'JWT' } });
}

/** A valid token with its payload swapped afterwards, so the signature no longer matches. */
export async function tamperedToken(emulator: Emulator, claims: Record<string, unknown>, forged: Record<string, unknown>): Promise<string> {
  const [header, , signature] = (await emulator.signSessionToken(claims)).split('.');
  return `${header}.${b64({ iat: now(), exp: now() + 60, ...claims, ...forged })}.${signature}`;
}

/**
 * An RS256 key of the test's own, for CLERK_JWT_KEY: it signs any claims at all (a non-string `sub`
 * too, which the emulator refuses to mint), as a Clerk instance with odd custom claims might.
 */
export function localSigner() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return {
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    sign: (claims: Record<string, unknown>) =>
      signJwt({ iat: now(), nbf: now() - 5, exp: now() + 60, ...claims }, privateKeyPem, { algorithm: 'RS256', header: { kid: 'ins_local', typ: 'JWT' } }),
  };
}

/** A token whose header and payload are any JSON at all (`null`, an array), unsigned. */
export const rawToken = (header: unknown, payload: unknown): string => `${b64(header)}.${b64(payload)}.c2ln`;
