import { isDeepStrictEqual } from 'node:util';
import type { ClerkClock } from '../clerk/clerk-clock.ts';
import { emailKey } from '../invitations/validate-item.ts';
import type { InvitationParams, InvitationRecord } from '../invitations/types.ts';

const DAY_MS = 86_400_000;
/** Clerk's default link lifetime when a call names none. */
const DEFAULT_EXPIRES_IN_DAYS = 30;
/** Clerk derives `expires_at` from its own clock at creation; allow for the moment between the two. */
const EXPIRY_SLACK_MS = 60_000;

/**
 * What a lookup says about one item of a call whose outcome is unknown:
 * - `ours`: exactly one invitation that this call must have created;
 * - `absent`: none is this call's; `others` are invitations for the address that are not;
 * - `ambiguous`: one might be this call's, but the evidence cannot tell.
 */
export type Verdict =
  | { kind: 'ours'; invitation: InvitationRecord }
  | { kind: 'absent'; others: InvitationRecord[] }
  | { kind: 'ambiguous'; why: string };

/**
 * Invitation ids this replica has already seen, so one cannot be claimed again for another call.
 * Bounded; the oldest are forgotten first, by which time their creation time rules them out anyway.
 */
export class KnownInvitations {
  private readonly ids = new Set<string>();

  constructor(private readonly max = 50_000) {}

  add(id: string): void {
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value!);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }
}

/** The parameters Clerk shows back on an invitation match what the call sent. */
export function matchesParams(params: InvitationParams, invitation: InvitationRecord): boolean {
  if (!isDeepStrictEqual(invitation.publicMetadata ?? {}, params.publicMetadata ?? {})) return false;
  if (params.role !== undefined && invitation.role !== undefined && invitation.role !== params.role) return false;
  if (invitation.privateMetadata !== undefined && !isDeepStrictEqual(invitation.privateMetadata ?? {}, params.privateMetadata ?? {})) return false;
  if (invitation.expiresAt === null) return true;
  const expected = invitation.createdAt + (params.expiresInDays ?? DEFAULT_EXPIRES_IN_DAYS) * DAY_MS;
  return Math.abs(invitation.expiresAt - expected) <= EXPIRY_SLACK_MS;
}

/** When, in Clerk's time, a call could have created its invitations. */
export interface CallWindow {
  /** Local epoch ms when the call left. */
  sentAt: number;
  /** Clerk's clock (epoch ms) when it answered, when it did: nothing of the call is created later. */
  answeredAt?: number;
}

/**
 * Settles one item by evidence only. An invitation is this call's when it is for the address, shows
 * the parameters the call sent, was created after the call left by Clerk's own clock (and not after
 * Clerk answered it), and was not already known to the gateway. Redirect, template and notify are
 * not visible on an invitation, so they cannot be compared.
 *
 * "After the call left" is as exact as the offset band of Clerk's clock, about a second after the
 * first answers and narrower later: an invitation with identical parameters that another client made
 * for the same address within that band before the call is indistinguishable from the call's own.
 */
export function judge(
  params: InvitationParams,
  found: readonly InvitationRecord[],
  call: CallWindow,
  clock: ClerkClock,
  known: KnownInvitations,
): Verdict {
  const key = emailKey(params.emailAddress);
  const { earliest } = clock.toClerk(call.sentAt);
  // Clerk's Date header is whole seconds, rounded down.
  const until = call.answeredAt === undefined ? Infinity : call.answeredAt + 1_000;
  const ours: InvitationRecord[] = [];
  const others: InvitationRecord[] = [];
  for (const invitation of found) {
    if (emailKey(invitation.emailAddress) !== key || invitation.status === 'revoked') continue;
    const inWindow = invitation.createdAt >= earliest && invitation.createdAt <= until;
    if (!inWindow || known.has(invitation.id) || !matchesParams(params, invitation)) others.push(invitation);
    else ours.push(invitation);
  }
  if (ours.length === 1) return { kind: 'ours', invitation: ours[0]! };
  if (ours.length === 0) return { kind: 'absent', others };
  return { kind: 'ambiguous', why: `${ours.length} invitations with these parameters were created since the call left` };
}
