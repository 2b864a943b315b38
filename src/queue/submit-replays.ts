import { familyOfCall } from '../batcher/families.ts';
import type { InvitationInput } from '../invitations/validate-item.ts';
import type { InvitationQueue } from './invitation-queue.ts';

/**
 * For the caller limit: a submit that only finds the job an earlier submit with the same key and list
 * made queues nothing, so it spends none of the daily limit again (as `exemptReplays` does for creates).
 * Keys come from the argument or the header, as in the resolvers.
 */
export function exemptSubmitReplays(queue: InvitationQueue) {
  return (coordinate: string, args: Record<string, unknown>, context: { caller: { id: string }; idempotencyKey?: string }) => {
    const family = familyOfCall(coordinate, args, { instance: 'Mutation.submitInvitations', organization: 'Mutation.submitOrganizationInvitations' });
    if (!family) return false;
    const key = (args['idempotencyKey'] as string | null | undefined) ?? context.idempotencyKey;
    // Most submits carry no key: they are answered at once, without a promise.
    if (!key) return false;
    return queue.isReplay(context.caller.id, family, key, args['invitations'] as InvitationInput[]);
  };
}
