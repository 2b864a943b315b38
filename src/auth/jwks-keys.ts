import { createPublicKey, type JsonWebKey } from 'node:crypto';

export type KeyLookup = { pem: string } | { missing: true } | { unavailable: true; message: string };

export interface JwksKeySourceOptions {
  /** Loads the instance's JWKS (through the Clerk SDK, with the secret key). */
  fetchKeys: () => Promise<readonly JsonWebKey[]>;
  /** How long a fetched set counts as current. @default 300_000 (the SDK's own cache time) */
  ttlMs?: number;
  /** Least time between two fetches, whatever asks for them. @default 30_000 */
  cooldownMs?: number;
  /** Bound on one fetch; the SDK has none of its own. @default 10_000 */
  timeoutMs?: number;
  now?: () => number;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Clerk JWKS did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** PEM for the SDK's `jwtKey`; only RSA signing keys are kept, as Clerk signs with RS256. */
function toPem(jwk: JsonWebKey): string | undefined {
  if (jwk.kty !== 'RSA' || (jwk.use !== undefined && jwk.use !== 'sig')) return undefined;
  try {
    return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  } catch {
    return undefined;
  }
}

/**
 * Clerk's signing keys by `kid`, fetched from the JWKS endpoint. The SDK's own remote lookup fetches
 * the JWKS again for every token whose `kid` it does not know, so anyone could make the gateway call
 * Clerk once per request with made-up tokens. Here a fetch happens at most once per cooldown, and
 * concurrent lookups share it.
 *
 * A known key is served at once even when the set is older than the TTL (stale-while-revalidate):
 * the refresh runs in the background, so a slow or hanging JWKS endpoint never holds a request whose
 * key is already known, and when Clerk cannot be reached those keys keep working. Only a token with an
 * unknown `kid` waits, for one fetch bounded by `timeoutMs`.
 */
export class JwksKeySource {
  private keys = new Map<string, string>();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private lastError: string | undefined;
  private inflight: Promise<void> | undefined;
  private readonly ttlMs: number;
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: JwksKeySourceOptions) {
    this.ttlMs = options.ttlMs ?? 300_000;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async pemFor(kid: string): Promise<KeyLookup> {
    const now = this.now();
    const known = this.keys.get(kid);
    if (known !== undefined) {
      if (now - this.fetchedAt >= this.ttlMs && !this.inflight && now - this.attemptedAt >= this.cooldownMs) void this.refresh();
      return { pem: known };
    }
    if (this.inflight) await this.inflight;
    else if (now - this.attemptedAt >= this.cooldownMs) await this.refresh();
    const pem = this.keys.get(kid);
    if (pem) return { pem };
    if (this.lastError !== undefined) return { unavailable: true, message: this.lastError };
    return { missing: true };
  }

  private refresh(): Promise<void> {
    this.attemptedAt = this.now();
    this.inflight ??= (async () => {
      try {
        const keys = new Map<string, string>();
        for (const jwk of await withTimeout(this.options.fetchKeys(), this.timeoutMs)) {
          const pem = typeof jwk.kid === 'string' ? toPem(jwk) : undefined;
          if (pem) keys.set(jwk.kid as string, pem);
        }
        this.keys = keys;
        this.fetchedAt = this.now();
        this.lastError = undefined;
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
