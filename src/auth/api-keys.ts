import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyEntry } from '../config.ts';

/** The SHA-256 hex of a key, as GATEWAY_API_KEYS stores it (same as `printf %s "$KEY" | sha256sum`). */
export const hashApiKey = (key: string): string => hash('sha256', key, 'hex');

/** A fresh key: 32 random bytes, base64url, with a prefix that makes a leaked key easy to grep for. */
export const generateApiKey = (): string => `gwk_${randomBytes(32).toString('base64url')}`;

/** The configured gateway API keys. Only hashes are held, so a memory dump does not reveal keys. */
export class ApiKeyRing {
  private readonly entries: { name: string; digest: Buffer }[];

  constructor(entries: readonly ApiKeyEntry[]) {
    this.entries = entries.map(({ name, sha256 }) => ({ name, digest: Buffer.from(sha256, 'hex') }));
  }

  get size(): number {
    return this.entries.length;
  }

  /**
   * The name of the key, or undefined. Every entry is compared, in constant time, so the time taken
   * tells neither whether a key matched nor which one.
   */
  match(key: string): string | undefined {
    // The one-shot hash: a Hash object per request cost several times more (its OpenSSL context).
    const digest = hash('sha256', key, 'buffer');
    let found: string | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest) && found === undefined) found = entry.name;
    }
    return found;
  }
}
