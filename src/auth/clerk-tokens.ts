import { createClerkClient, verifyToken } from '@clerk/backend';
import { getAuthObjectFromJwt, verifyMachineAuthToken } from '@clerk/backend/internal';
import { decodeJwt } from '@clerk/backend/jwt';
import type { JsonWebKey } from 'node:crypto';
import { JwksKeySource } from './jwks-keys.ts';

/** Who a verified Clerk token names. */
export type ClerkIdentity =
  | { kind: 'user'; userId: string; org: { id: string | null; role: string | null; permissions: string[] } }
  | { kind: 'machine'; machineId: string };

export type TokenCheck =
  | { ok: true; identity: ClerkIdentity }
  /** `unavailable`: the keys could not be loaded, so the token was neither accepted nor judged. */
  | { ok: false; reason: string; message: string; unavailable?: boolean };

export interface ClerkTokenOptions {
  /** CLERK_JWT_KEY: verify without any network call. */
  jwtKey?: string;
  /** Otherwise keys come from `GET /v1/jwks` on this Clerk, with this secret key. */
  secretKey?: string;
  apiUrl?: string;
  /** Bound on one JWKS fetch; the SDK has none of its own. */
  timeoutMs?: number;
  /** CLERK_AUTHORIZED_PARTIES: accepted `azp` values; empty: not checked. */
  authorizedParties: readonly string[];
}

const ALGORITHMS = new Set(['RS256', 'RS384', 'RS512']);
const JWT_FORMAT = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** Whether a bearer value has the shape of a JWT (and so is not a gateway API key). */
export const looksLikeJwt = (value: string): boolean => JWT_FORMAT.test(value);

const fail = (reason: string, message: string): TokenCheck => ({ ok: false, reason, message });

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Clerk JWKS did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Verifies Clerk session tokens and JWT-form M2M tokens with `@clerk/backend`. Claims (v1 `org_role`,
 * v2 `o.rol`/`o.per`) are read by the SDK's own parser. Nothing is fetched for a token that fails the
 * cheap checks (form, algorithm, key id), so rejected tokens never reach Clerk.
 */
export class ClerkTokenVerifier {
  private readonly jwks: JwksKeySource | undefined;

  constructor(private readonly options: ClerkTokenOptions) {
    const { jwtKey, secretKey, apiUrl, timeoutMs = 10_000 } = options;
    if (!jwtKey && secretKey) {
      const clerk = createClerkClient({ secretKey, apiUrl });
      this.jwks = new JwksKeySource({
        fetchKeys: async () => ((await withTimeout(clerk.jwks.getJwks(), timeoutMs)).keys ?? []) as unknown as JsonWebKey[],
      });
    }
  }

  async verify(token: string): Promise<TokenCheck> {
    let decoded;
    try {
      decoded = decodeJwt(token);
    } catch {
      return fail('token-malformed', 'not a decodable JWT');
    }
    const { header, payload } = decoded;
    if (!ALGORITHMS.has(header.alg)) return fail('token-invalid-algorithm', `algorithm ${JSON.stringify(header.alg)} is not accepted`);
    const key = await this.keyFor(header.kid);
    if ('reason' in key) return key;
    const sub = payload.sub as unknown;
    if (typeof sub === 'string' && sub.startsWith('mch_')) return this.verifyMachine(token, key.pem);
    if (header.typ === 'at+jwt' || header.typ === 'application/at+jwt') return fail('token-type-unsupported', 'OAuth access tokens are not accepted');
    return this.verifySession(token, decoded, key.pem);
  }

  private async keyFor(kid: unknown): Promise<{ pem: string } | Extract<TokenCheck, { ok: false }>> {
    if (this.options.jwtKey) return { pem: this.options.jwtKey };
    if (!this.jwks) return { ok: false, reason: 'no-key-configured', message: 'neither CLERK_JWT_KEY nor a secret key is set' };
    if (typeof kid !== 'string' || kid === '') return { ok: false, reason: 'token-kid-missing', message: 'the token names no key id' };
    const found = await this.jwks.pemFor(kid);
    if ('pem' in found) return found;
    if ('unavailable' in found) return { ok: false, reason: 'jwks-unavailable', message: found.message, unavailable: true };
    return { ok: false, reason: 'token-kid-unknown', message: `no signing key with kid ${JSON.stringify(kid.slice(0, 64))}` };
  }

  private async verifySession(token: string, decoded: ReturnType<typeof decodeJwt>, jwtKey: string): Promise<TokenCheck> {
    const parties = this.options.authorizedParties;
    try {
      await verifyToken(token, { jwtKey, authorizedParties: parties.length > 0 ? [...parties] : undefined });
    } catch (error) {
      const { reason, message } = error as { reason?: string; message?: string };
      return fail(reason ?? 'token-invalid', message ?? 'verification failed');
    }
    // Pending sessions (a task such as choosing an organization is open) count as signed out.
    const auth = getAuthObjectFromJwt(decoded, {} as Parameters<typeof getAuthObjectFromJwt>[1]);
    if (!auth.userId) return fail('session-pending', 'the session has unfinished tasks');
    return {
      ok: true,
      identity: {
        kind: 'user',
        userId: auth.userId,
        org: { id: auth.orgId ?? null, role: auth.orgRole ?? null, permissions: auth.orgPermissions ?? [] },
      },
    };
  }

  private async verifyMachine(token: string, jwtKey: string): Promise<TokenCheck> {
    const result = await verifyMachineAuthToken(token, { jwtKey } as Parameters<typeof verifyMachineAuthToken>[1]);
    if (result.errors) {
      const [error] = result.errors as Array<{ code?: string; message?: string }>;
      return fail(`machine-${error?.code ?? 'token-invalid'}`, error?.message ?? 'verification failed');
    }
    if (result.tokenType !== 'm2m_token') return fail('token-type-unsupported', 'only M2M machine tokens are accepted');
    return { ok: true, identity: { kind: 'machine', machineId: (result.data as { subject: string }).subject } };
  }
}
