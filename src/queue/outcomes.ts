import { failed, type InvitationFailed, type InvitationOutcome } from '../invitations/types.ts';

/** What a cancelled job answers for each item it never sent. */
export const cancelledOutcome = (emailAddress: string): InvitationFailed =>
  failed(emailAddress, 'CANCELLED', 'The job was cancelled before this item was sent; nothing was sent.');

/** An item whose outcome stayed unknown is looked up again this often (see JobRunner.recheckLater). */
export const MAX_RECHECKS = 4;

export const isUnknown = (outcome: InvitationOutcome) => outcome.kind === 'failed' && outcome.code === 'OUTCOME_UNKNOWN';

/** Items answered with one of these may be given back this often before their answer is taken as final. */
export const MAX_GIVE_BACKS = 5;

/**
 * Whether an outcome says nothing was sent and a later try can succeed, so the queue keeps the item
 * instead of settling it: the budget was spent, Clerk asked to slow down, or the call never left.
 * RATE_LIMITED items wait for the budget however often; other transient refusals are retried a few times.
 */
export function unsent(outcome: InvitationOutcome): 'budget' | 'transient' | false {
  if (outcome.kind !== 'failed' || !outcome.retryable) return false;
  if (outcome.code === 'RATE_LIMITED') return 'budget';
  return outcome.code === 'UPSTREAM_ERROR' ? 'transient' : false;
}
