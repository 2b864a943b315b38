import { codeForClerkError, type ClerkErrorInfo } from '../clerk/classify.ts';
import type { Upstream } from '../clerk/upstream.ts';
import { emailKey } from '../invitations/validate-item.ts';
import { failed, type InvitationFailed, type InvitationParams } from '../invitations/types.ts';

/**
 * Errors that concern the call or the instance, not any one item: sending the items one by one would
 * fail every one of them the same way, so they are never isolated.
 */
const CALL_LEVEL_CODES = new Set([
  'clerk_key_invalid',
  'authorization_header_format_invalid',
  'authorization_invalid',
  'invitations_not_supported',
  'api_version_invalid',
  'bulk_size_exceeded',
  'request_body_invalid',
  'resource_not_found',
  // Members plus pending invitations plus the whole call over the organization's limit: no item is "the" one.
  'organization_membership_quota_exceeded',
]);

/** An unknown organization is about the call; an unknown role (`param_name: role`) is about some item. */
const callLevel = (e: ClerkErrorInfo) => CALL_LEVEL_CODES.has(e.code) && !(e.code === 'resource_not_found' && e.paramName === 'role');

export const isCallLevel = (errors: readonly ClerkErrorInfo[]) => errors.length === 0 || errors.every(callLevel);

export interface Attribution {
  /** Items Clerk named by value, with their failure. */
  named: Map<number, InvitationFailed>;
  /** Clerk reported at least one problem it did not tie to an address. */
  unattributed: ClerkErrorInfo[];
}

/**
 * Clerk's bulk errors carry no item index; only some carry the addresses (`meta.email_addresses` for
 * duplicates, `meta.identifiers` for blocked addresses). Map those back to positions in the batch.
 */
export function attribute(errors: readonly ClerkErrorInfo[], items: readonly InvitationParams[], traceId?: string): Attribution {
  const positions = new Map<string, number>();
  items.forEach((item, i) => positions.set(emailKey(item.emailAddress), i));
  const named = new Map<number, InvitationFailed>();
  const unattributed: ClerkErrorInfo[] = [];
  for (const error of errors) {
    const addresses = error.emailAddresses ?? error.identifiers ?? [];
    const hits = addresses.map((a) => positions.get(emailKey(a))).filter((i): i is number => i !== undefined);
    if (hits.length === 0) {
      unattributed.push(error);
      continue;
    }
    for (const i of hits) {
      named.set(i, itemFailure(items[i]!.emailAddress, error, traceId));
    }
  }
  return { named, unattributed };
}

/** The failure of one item whose error is known to be its own. */
export function itemFailure(email: string, error: ClerkErrorInfo | undefined, traceId?: string): InvitationFailed {
  const code = error ? codeForClerkError(error) : 'UPSTREAM_ERROR';
  const detail = error ? error.longMessage || error.message : 'Clerk refused the invitation without saying why';
  return failed(email, code, `${detail} (Clerk code ${error?.code ?? 'none'})`, { clerkTraceId: traceId });
}

/**
 * An existing user names only `param_name`, but Clerk's user list answers which addresses are taken
 * for one call of the general allowance, where isolating would spend up to k single creates.
 */
export async function findExistingUsers(
  upstream: Upstream,
  batch: readonly { params: InvitationParams }[],
  errors: readonly ClerkErrorInfo[],
  traceId?: string,
): Promise<Map<number, InvitationFailed>> {
  const found = new Map<number, InvitationFailed>();
  const taken = errors.find((e) => e.code === 'form_identifier_exists');
  if (!taken) return found;
  const users = await upstream.existingUsers(batch.map((p) => p.params.emailAddress)).catch(() => new Set<string>());
  batch.forEach((p, i) => {
    if (users.has(emailKey(p.params.emailAddress))) found.set(i, itemFailure(p.params.emailAddress, taken, traceId));
  });
  return found;
}
