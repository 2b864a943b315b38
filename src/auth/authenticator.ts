import type { ApiKeyEntry } from '../config.ts';
import type { Caller } from './caller.ts';
import { ApiKeyRing } from './api-keys.ts';
import { ClerkTokenVerifier, looksLikeJwt, type ClerkTokenOptions, type TokenCheck } from './clerk-tokens.ts';
import { readCredential, type CredentialSource } from './credentials.ts';
import { machineMayInvite, userMayInvite, type InviterPolicy } from './rights.ts';

export type AuthOutcome =
  | { ok: true; caller: Caller; source: CredentialSource }
  /** `status` 503: the credential could not be checked now (Clerk's keys unreachable). */
  | { ok: false; status: 401 | 503; reason: string; detail?: string; source?: CredentialSource };

/**
 * Synchronous for what needs no lookup (an API key, a missing or malformed credential), a promise only
 * for a token, whose key may have to be fetched: every request with a key then stays off the promise path.
 */
export type Authenticate = (request: Request) => AuthOutcome | Promise<AuthOutcome>;

export interface AuthenticatorOptions {
  apiKeys: readonly ApiKeyEntry[];
  clerk: ClerkTokenOptions;
  policy: InviterPolicy;
}

function fromClerk(check: Extract<TokenCheck, { ok: true }>, policy: InviterPolicy): Caller {
  const { identity } = check;
  if (identity.kind === 'machine') {
    return { id: `machine:${identity.machineId}`, kind: 'machine', inviter: machineMayInvite(identity.machineId, policy) };
  }
  return { id: `user:${identity.userId}`, kind: 'user', inviter: userMayInvite(identity.org, policy), org: identity.org };
}

/**
 * Turns a request's credential into a caller, or says why not. A bearer value is first tried as a
 * gateway API key (a hash compare, no I/O), then as a Clerk JWT; the cookie only carries Clerk
 * session tokens. The returned reason is for logs; callers only learn that the credential failed.
 */
export function createAuthenticator({ apiKeys, clerk, policy }: AuthenticatorOptions): Authenticate {
  const ring = new ApiKeyRing(apiKeys);
  const tokens = new ClerkTokenVerifier(clerk);

  const verifyToken = async (value: string, source: CredentialSource): Promise<AuthOutcome> => {
    const check = await tokens.verify(value);
    if (!check.ok) return { ok: false, status: check.unavailable ? 503 : 401, reason: check.reason, detail: check.message, source };
    const caller = fromClerk(check, policy);
    // Machines authenticate with a header; a machine token in a browser cookie is out of place.
    if (caller.kind === 'machine' && source === 'cookie') return { ok: false, status: 401, reason: 'machine-token-in-cookie', source };
    return { ok: true, source, caller };
  };

  return (request) => {
    const credential = readCredential(request);
    if (credential.kind === 'none') return { ok: false, status: 401, reason: 'no-credential' };
    const { source } = credential;
    if (credential.kind === 'malformed') return { ok: false, status: 401, reason: credential.reason, source };
    const { value } = credential;
    if (source !== 'cookie') {
      const name = ring.match(value);
      if (name !== undefined) return { ok: true, source, caller: { id: `apikey:${name}`, kind: 'apikey', inviter: true } };
      if (source === 'x-api-key' || !looksLikeJwt(value)) return { ok: false, status: 401, reason: 'unknown-api-key', source };
    }
    return verifyToken(value, source);
  };
}
