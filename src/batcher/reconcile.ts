import type { Upstream } from '../clerk/upstream.ts';
import { emailKey } from '../invitations/validate-item.ts';
import type { InvitationParams, InvitationRecord } from '../invitations/types.ts';

/**
 * Clocks of Clerk and the gateway disagree a little; an invitation created this long before we sent
 * the call still counts as ours. Anything older existed before the call and is somebody else's.
 */
export const CLOCK_SKEW_MS = 5_000;

export type Lookup =
  | { found: true; invitation: InvitationRecord }
  | { found: false }
  /** The list endpoint failed too: the outcome stays unknown. */
  | { found: null; reason: string };

/**
 * Looks an address up with the list endpoint, which spends the general request allowance, not the
 * hourly invitation one. Only a pending invitation created since `sentAt` counts as the call's.
 */
export async function lookUp(upstream: Upstream, params: InvitationParams, sentAt: number): Promise<Lookup> {
  try {
    const key = emailKey(params.emailAddress);
    const page = await upstream.list({ query: params.emailAddress, status: 'pending', limit: 100, offset: 0 });
    const ours = page.data.find((inv) => emailKey(inv.emailAddress) === key && inv.createdAt >= sentAt - CLOCK_SKEW_MS);
    return ours ? { found: true, invitation: ours } : { found: false };
  } catch (error) {
    return { found: null, reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Whether sending an item again after an unknown outcome and a lookup that found nothing can make a
 * second invitation. With `ignoreExisting` off, Clerk itself refuses a second pending invitation. With it
 * on, only a call that is known to have finished (an answer came back, or the socket closed) is safe:
 * after a timeout the first call may still be running at Clerk.
 */
export function safeToResend(params: InvitationParams, callFinished: boolean): boolean {
  return params.ignoreExisting !== true || callFinished;
}
