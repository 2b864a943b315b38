import { hash, randomBytes } from 'node:crypto';
import type { ApiKeyEntry } from '../config.ts';

/** The SHA-256 hex of a key, as GATEWAY_API_KEYS stores it (same as `printf %s "$KEY" | sha256sum`). */
export const hashApiKey = (key: string): string => hash('sha256', key, 'hex');

/** A fresh key: 32 random bytes, base64url, with a prefix that makes a leaked key easy to grep for. */
export const generateApiKey = (): string => `gwk_${randomBytes(32).toString('base64url')}`;

/** The configured gateway API keys. Only hashes are held, so a memory dump does not reveal keys. */
export class ApiKeyRing {
  /** Name by lowercase hex digest; the first entry wins if two names share a key. */
  private readonly byDigest = new Map<string, string>();

  constructor(entries: readonly ApiKeyEntry[]) {
    for (const { name, sha256 } of entries) {
      const digest = sha256.toLowerCase();
      if (!this.byDigest.has(digest)) this.byDigest.set(digest, name);
    }
  }

  get size(): number {
    return this.byDigest.size;
  }

  /**
   * The name of the key, or undefined. Looked up by the key's SHA-256, not compared key by key: what
   * a lookup's timing could reveal is how the digest of a guess relates to a stored digest, which
   * brings a guess no closer to a key (finding one from a digest is a preimage). So the cost is one
   * hash and one map lookup however many keys are configured (a scan in constant time cost 7 µs a
   * request at 200 keys).
   */
  match(key: string): string | undefined {
    // The one-shot hash: a Hash object per request cost several times more (its OpenSSL context).
    return this.byDigest.get(hash('sha256', key, 'hex'));
  }
}
