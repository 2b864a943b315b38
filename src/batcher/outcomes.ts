import type { BudgetDecision, Channel } from '../budget/types.ts';
import type { UpstreamFailureInfo } from '../clerk/classify.ts';
import { emailKey } from '../invitations/validate-item.ts';
import { scrub } from '../logger.ts';
import { failed, type InvitationFailed, type InvitationRecord } from '../invitations/types.ts';
import type { Pending, Results } from './dispatch-types.ts';

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

type Refusal = { channel: Channel; decision: Extract<BudgetDecision, { ok: false }> };

/**
 * The budget refused a call: fail fast and say when a call would be admitted. When the items fell
 * back from the other channel, which was refused too, the earlier of the two is the true wait.
 */
export function budgetRefused(email: string, refusal: Refusal, fellBackFrom?: Refusal): InvitationFailed {
  const { channel, decision } =
    fellBackFrom && fellBackFrom.decision.reason !== 'unavailable' && fellBackFrom.decision.retryAfterMs < refusal.decision.retryAfterMs ? fellBackFrom : refusal;
  const retryAfterSeconds = seconds(decision.retryAfterMs);
  if (decision.reason === 'unavailable') {
    return failed(email, 'UPSTREAM_ERROR', 'The shared budget store is unreachable, so nothing was sent. Try again shortly.', {
      retryable: true,
      retryAfterSeconds,
    });
  }
  const why = decision.reason === 'paused' ? 'Clerk asked us to slow down' : `Clerk's hourly ${channel} allowance is spent`;
  const both = fellBackFrom ? ' (and the other channel cannot take it sooner)' : '';
  return failed(email, 'RATE_LIMITED', `${why}${both}; nothing was sent. Retry in ${retryAfterSeconds} s.`, {
    retryable: true,
    retryAfterSeconds,
  });
}

export function clerkRateLimited(email: string, info: Extract<UpstreamFailureInfo, { kind: 'rate-limited' }>, retryAfterMs: number) {
  const retryAfterSeconds = seconds(retryAfterMs);
  return failed(email, 'RATE_LIMITED', `Clerk answered 429 (${info.message}); nothing was created. Retry in ${retryAfterSeconds} s.`, {
    retryable: true,
    retryAfterSeconds,
    clerkTraceId: info.traceId,
  });
}

export function notSent(email: string, message: string): InvitationFailed {
  return failed(email, 'UPSTREAM_ERROR', `Clerk could not be reached (${scrub(message)}); nothing was sent.`, {
    retryable: true,
    retryAfterSeconds: 1,
  });
}

export function outcomeUnknown(email: string, info: { message: string; traceId?: string }): InvitationFailed {
  return failed(
    email,
    'OUTCOME_UNKNOWN',
    `Clerk may or may not have created this invitation (${info.message}). Check with the invitations query ` +
      `(query: "${email}") before retrying, or retry with ignoreExisting: false so a duplicate is refused.`,
    { retryable: false, clerkTraceId: info.traceId },
  );
}

/** Only Clerk's single create invites an existing user; the bulk endpoint refuses it whatever the flags. */
export function userExistsOnBulk(email: string, traceId?: string): InvitationFailed {
  return failed(
    email,
    'USER_EXISTS',
    "The address belongs to an existing user. Clerk's bulk endpoint never invites existing users, even with " +
      'ignoreExisting; only a single create can, and UPSTREAM_CHANNELS=bulk allows none.',
    { clerkTraceId: traceId },
  );
}

/** Isolation stopped early: Clerk kept refusing items the same way without saying which. */
export function isolationStopped(email: string, clerkCode: string): InvitationFailed {
  return failed(
    email,
    'UPSTREAM_ERROR',
    `Clerk refused other items of this batch the same way (Clerk code ${clerkCode}) without naming them, so this one ` +
      'was not sent, to spare the hourly allowance; nothing was created. Retry it on its own.',
    { retryable: true, retryAfterSeconds: 1 },
  );
}

export function noTimeLeft(email: string): InvitationFailed {
  return failed(email, 'UPSTREAM_ERROR', 'The request ran out of time before this item could be sent; nothing was sent.', {
    retryable: true,
    retryAfterSeconds: 1,
  });
}

/** Clerk's `Date` is whole seconds; an invitation this much older than the call's departure is not its. */
const DATE_RESOLUTION_MS = 1_000;

/**
 * Clerk answers in input order, but matching by address keeps a reordered answer from crossing callers.
 * Clerk may answer a create for an address with the pending invitation it already had (its 2024 code
 * did so for organization invitations, re-sending the email): one created before the call left, by
 * Clerk's clock, was not made by it.
 */
export function assignCreated(pending: Pending[], created: InvitationRecord[], results: Results): void {
  const reused = (inv: InvitationRecord) => inv.callLeftBy !== undefined && inv.createdAt < inv.callLeftBy - DATE_RESOLUTION_MS;
  const byEmail = new Map(created.map((inv) => [emailKey(inv.emailAddress), inv]));
  pending.forEach((p, i) => {
    const invitation = byEmail.get(emailKey(p.params.emailAddress)) ?? created[i]!;
    results[p.index] = reused(invitation) ? pendingReused(p.params, invitation) : { kind: 'created', invitation };
  });
}

function pendingReused(params: Pending['params'], invitation: InvitationRecord): InvitationFailed {
  const resent = params.notify === false ? '' : ' Clerk sent its email again.';
  return failed(params.emailAddress, 'ALREADY_INVITED', `The address already had a pending invitation (${invitation.id}), which Clerk answered with instead of a new one.${resent}`);
}
