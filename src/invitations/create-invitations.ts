import type { GatewayContext } from '../context.ts';
import { BadUserInputError } from '../errors.ts';
import { invitationsFingerprint, runIdempotent } from './idempotency.ts';
import type { InvitationOutcome } from './types.ts';
import { validateItems, type InvitationInput } from './validate-item.ts';

async function recoverItems(services: GatewayContext['services'], checked: ReturnType<typeof validateItems>, cutOffAt: number) {
  const valid = checked.flatMap((item) => (item.ok ? [item.params] : []));
  const recovered = valid.length > 0 ? await services.recover(valid, cutOffAt) : [];
  let next = 0;
  return checked.map((item) => (item.ok ? recovered[next++]! : item.failure));
}

export interface CreateInvitationsResult {
  /** One entry per input item, in input order. */
  results: InvitationOutcome[];
}

/**
 * Checks the call, fails bad items on their own, and hands the good ones to the shared batcher, which
 * may send them together with other callers' items.
 */
export async function createInvitations(
  context: GatewayContext,
  inputs: readonly InvitationInput[],
  idempotencyKey?: string | null,
): Promise<CreateInvitationsResult> {
  const key = idempotencyKey ?? context.idempotencyKey;
  const answer = key
    ? await runIdempotent({
        store: context.services.idempotency,
        scope: context.caller.id,
        key,
        fingerprint: invitationsFingerprint(inputs),
        waitMs: context.services.limits.requestTimeoutMs,
        run: () => invite(context, inputs),
        recover: (startedAt) => invite(context, inputs, startedAt),
      })
    : await invite(context, inputs);
  return answer;
}

/** `cutOffAt`: an earlier attempt with the same key began then and was cut off; settle, do not resend blind. */
async function invite(
  { services, caller, requestId }: GatewayContext,
  inputs: readonly InvitationInput[],
  cutOffAt?: number,
): Promise<CreateInvitationsResult> {
  const max = services.limits.maxInvitationsPerRequest;
  if (inputs.length === 0) {
    throw new BadUserInputError('invitations: give at least one invitation.', { field: 'invitations' });
  }
  if (inputs.length > max) {
    throw new BadUserInputError(`invitations: at most ${max} per call (got ${inputs.length}); split the list.`, {
      field: 'invitations',
    });
  }
  const checked = validateItems(inputs, services.validation);
  const results =
    cutOffAt === undefined
      ? await Promise.all(checked.map((item) => (item.ok ? services.batcher.load({ params: item.params, callerId: caller.id, requestId }) : item.failure)))
      : await recoverItems(services, checked, cutOffAt);
  services.metrics.outcomes(results);
  return { results };
}
