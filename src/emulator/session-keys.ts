/**
 * Per-instance RSA signing keys: `GET /v1/jwks` publishes the public half, and session tokens minted
 * with the private half verify through the SDK (`verifyToken` with `jwtKey`, or JWKS via the secret key).
 */
import { type KeyObject, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { signJwt } from '@clerk/backend/jwt';
import { randomId } from './ids.ts';

const generateRsa = promisify(generateKeyPair);

export interface SigningKey {
  kid: string;
  privateKeyPem: string;
  publicKeyPem: string;
  /** The public key as Clerk's JWKS lists it. */
  jwk: { use: 'sig'; kty: 'RSA'; kid: string; alg: 'RS256'; n: string; e: string };
}

export interface SessionTokenOptions {
  /** Instance whose key signs; default the first secret key. */
  secretKey?: string;
  /** Lifetime from now; default 60 s, like Clerk's session tokens. */
  expiresInSeconds?: number;
}

async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = (await generateRsa('rsa', { modulusLength: 2048 })) as {
    privateKey: KeyObject;
    publicKey: KeyObject;
  };
  const kid = randomId('ins');
  const { n, e } = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  return {
    kid,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    jwk: { use: 'sig', kty: 'RSA', kid, alg: 'RS256', n, e },
  };
}

/** Keys are generated on first use (an RSA key takes tens of milliseconds) and survive `reset()`. */
export class SigningKeys {
  private readonly keys = new Map<string, Promise<SigningKey>>();

  get(secretKey: string): Promise<SigningKey> {
    let key = this.keys.get(secretKey);
    if (!key) {
      key = createSigningKey();
      this.keys.set(secretKey, key);
    }
    return key;
  }

  /**
   * Signs RS256 session-token claims. `nbf`/`exp` come from `nowMs`, which the emulator gives as the
   * real clock plus Clerk's clock offset, not its injectable clock: the SDK checks them against the
   * real time, so only a deliberate skew should show there. `iat` is always the real time, because
   * the SDK's `signJwt` overwrites it.
   */
  async sign(
    secretKey: string,
    claims: Record<string, unknown>,
    issuer: string,
    expiresInSeconds = 60,
    nowMs = Date.now(),
  ): Promise<string> {
    if (typeof claims.sub !== 'string') throw new TypeError('session token claims need a string `sub` (the user id)');
    const { kid, privateKeyPem } = await this.get(secretKey);
    const iat = Math.floor(nowMs / 1000);
    const payload = { iss: issuer, sid: randomId('sess'), iat, nbf: iat - 5, exp: iat + expiresInSeconds, ...claims };
    return signJwt(payload, privateKeyPem, { algorithm: 'RS256', header: { kid, typ: 'JWT' } });
  }
}
