import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random base62 text; the modulo bias is irrelevant for ids that only need to be unique. */
export function randomBase62(length: number): string {
  return Array.from(randomBytes(length), (byte) => ALPHABET[byte % ALPHABET.length]).join('');
}

/** A Clerk-looking object id such as `inv_2ab…` (prefix plus 27 characters, like Clerk's KSUIDs). */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBase62(27)}`;
}

/** A development-instance secret key in Clerk's `sk_test_…` shape. */
export function generateSecretKey(): string {
  return `sk_test_${randomBase62(40)}`;
}

/** Clerk sends a fresh trace id with every error; 32 hex characters like Clerk's. */
export function traceId(): string {
  return randomBytes(16).toString('hex');
}
