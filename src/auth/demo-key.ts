import type { ApiKeyEntry } from '../config.ts';
import { generateApiKey, hashApiKey } from './api-keys.ts';

export interface DemoKey {
  /** The key itself: printed once at start and filled into GraphiQL, never stored elsewhere. */
  key: string;
  entry: ApiKeyEntry;
  /** What GraphiQL sends with every request. */
  headers: Record<string, string>;
}

/** A fresh API key for demo mode (no CLERK_SECRET_KEY): valid until the process exits. */
export function createDemoKey(): DemoKey {
  const key = generateApiKey();
  return { key, entry: { name: 'demo', sha256: hashApiKey(key) }, headers: { Authorization: `Bearer ${key}` } };
}
