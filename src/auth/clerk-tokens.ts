import { createClerkClient, verifyToken } from '@clerk/backend';
import { getAuthObjectFromJwt, verifyMachineAuthToken } from '@clerk/backend/internal';
import { decodeJwt } from '@clerk/backend/jwt';
import type { JsonWebKey } from 'node:crypto';
import { JwksKeySource } from './jwks-keys.ts';
import { checkMachineClaims, checkSessionClaims, isMachinePayload, type MachineClaims } from './token-claims.ts';

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
  /** CLERK_M2M_AUDIENCE: values that name this gateway in an M2M token's `aud`. */
  machineAudience?: readonly string[];
  /** How long fetched JWKS keys count as current (default 5 min); and the clock, for tests. */
  jwksTtlMs?: number;
  now?: () => number;
}

const ALGORITHMS = new Set(['RS256', 'RS384', 'RS512']);
const JWT_FORMAT = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** Whether a bearer value has the shape of a JWT (and so is not a gateway API key). */
export const looksLikeJwt = (value: string): boolean => JWT_FORMAT.test(value);

const fail = (reason: string, message: string): TokenCheck => ({ ok: false, reason, message });

const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The M2M audience rule. A token without `aud` (or an empty one) names no recipient and is judged as
 * before: by its machine id alone. A token that names recipients was minted for them, so it counts
 * here only if one of them is a CLERK_M2M_AUDIENCE value; with none configured, no such token is
 * accepted, since a token meant for another service must not open this one.
 */
export function machineAudienceProblem(aud: MachineClaims['aud'], accepted: readonly string[]): string | undefined {
  const named = aud === null || aud === undefined ? [] : [aud].flat();
  if (named.length === 0) return undefined;
  if (accepted.length === 0) return 'the token names an audience (aud) and CLERK_M2M_AUDIENCE is not set, so it is not meant for this gateway';
  if (!named.some((value) => accepted.includes(value))) return "the token's audience (aud) includes no CLERK_M2M_AUDIENCE value";
  return undefined;
}

/**
 * Verifies Clerk session tokens and JWT-form M2M tokens with `@clerk/backend`. Claims (v1 `org_role`,
 * v2 `o.rol`/`o.per`) are read by the SDK's own parser. Nothing is fetched for a token that fails the
 * cheap checks (form, algorithm, key id), so rejected tokens never reach Clerk.
 */
export class ClerkTokenVerifier {
  private readonly jwks: JwksKeySource | undefined;

  constructor(private readonly options: ClerkTokenOptions) {
    const { jwtKey, secretKey, apiUrl, timeoutMs, jwksTtlMs, now } = options;
    if (!jwtKey && secretKey) {
      const clerk = createClerkClient({ secretKey, apiUrl });
      this.jwks = new JwksKeySource({
        fetchKeys: async () => ((await clerk.jwks.getJwks()).keys ?? []) as unknown as JsonWebKey[],
        timeoutMs,
        ttlMs: jwksTtlMs,
        now,
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
    const { header, payload } = decoded as { header: unknown; payload: unknown };
    if (!isObject(header)) return fail('token-malformed', 'the token header is not a JSON object');
    const { alg, kid, typ } = header as Record<string, unknown>;
    if (typeof alg !== 'string' || !ALGORITHMS.has(alg)) return fail('token-invalid-algorithm', `algorithm ${JSON.stringify(alg)?.slice(0, 32)} is not accepted`);
    // Claim shapes are checked before any key lookup: a malformed token never causes a JWKS fetch.
    if (isMachinePayload(payload)) {
      const claims = checkMachineClaims(payload);
      if (!claims.ok) return fail('token-claims-invalid', claims.message);
      const key = await this.keyFor(kid);
      return 'reason' in key ? key : this.verifyMachine(token, key.pem, claims.claims);
    }
    if (typ === 'at+jwt' || typ === 'application/at+jwt') return fail('token-type-unsupported', 'OAuth access tokens are not accepted');
    const claims = checkSessionClaims(payload);
    if (!claims.ok) return fail('token-claims-invalid', claims.message);
    const key = await this.keyFor(kid);
    return 'reason' in key ? key : this.verifySession(token, decoded, key.pem);
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
    let auth;
    try {
      auth = getAuthObjectFromJwt(decoded, {} as Parameters<typeof getAuthObjectFromJwt>[1]);
    } catch (error) {
      // The claims were checked; this is a second line should the SDK read something new.
      return fail('token-claims-invalid', error instanceof Error ? error.message : 'unreadable claims');
    }
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

  private async verifyMachine(token: string, jwtKey: string, claims: MachineClaims): Promise<TokenCheck> {
    let result;
    try {
      result = await verifyMachineAuthToken(token, { jwtKey } as Parameters<typeof verifyMachineAuthToken>[1]);
    } catch (error) {
      // The SDK parses the payload after verifying it; a claim it did not expect must not become a 500.
      return fail('machine-token-invalid', error instanceof Error ? error.message : 'verification failed');
    }
    if (result.errors) {
      const [error] = result.errors as Array<{ code?: string; message?: string }>;
      return fail(`machine-${error?.code ?? 'token-invalid'}`, error?.message ?? 'verification failed');
    }
    if (result.tokenType !== 'm2m_token') return fail('token-type-unsupported', 'only M2M machine tokens are accepted');
    // Checked only now, on a verified token: the SDK skips `aud` unless told an audience, and then
    // ignores an `aud` that is neither a string nor a string array.
    const audience = machineAudienceProblem(claims.aud, this.options.machineAudience ?? []);
    if (audience) return fail('machine-audience-mismatch', audience);
    return { ok: true, identity: { kind: 'machine', machineId: claims.sub } };
  }
}
