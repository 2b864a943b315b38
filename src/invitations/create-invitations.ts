import { INSTANCE, type Family, type FamilyLane } from '../batcher/families.ts';
import type { GatewayContext } from '../context.ts';
import { BadUserInputError } from '../errors.ts';
import { idempotencyScope, invitationsFingerprint, runIdempotent } from './idempotency.ts';
import type { InvitationOutcome } from './types.ts';
import { validateItems, type InvitationInput, type ValidatedItem } from './validate-item.ts';

async function recoverItems(lane: FamilyLane, checked: ValidatedItem[], cutOffAt: number) {
  const valid = checked.flatMap((item) => (item.ok ? [item.params] : []));
  const recovered = valid.length > 0 ? await lane.recover(valid, cutOffAt) : [];
  let next = 0;
  return checked.map((item) => (item.ok ? recovered[next++]! : item.failure));
}

export interface CreateInvitationsResult {
  /** One entry per input item, in input order. */
  results: InvitationOutcome[];
}

export interface InviteOptions {
  /** Whose invitations: the application's (default) or one organization's. */
  family?: Family;
  /** Organization invitations carry the inviting admin; set from the caller, never from input. */
  inviterUserId?: string;
}

/**
 * Checks the call, fails bad items on their own, and hands the good ones to the family's shared
 * batcher, which may send them together with other callers' items.
 */
export async function createInvitations(
  context: GatewayContext,
  inputs: readonly InvitationInput[],
  idempotencyKey?: string | null,
  options: InviteOptions = {},
): Promise<CreateInvitationsResult> {
  const key = idempotencyKey ?? context.idempotencyKey;
  const family = options.family ?? INSTANCE;
  const answer = key
    ? await runIdempotent({
        store: context.services.idempotency,
        scope: idempotencyScope(context.caller.id, family),
        key,
        fingerprint: invitationsFingerprint(inputs),
        waitMs: context.services.limits.requestTimeoutMs,
        run: () => invite(context, inputs, options),
        recover: (startedAt) => invite(context, inputs, options, startedAt),
      })
    : await invite(context, inputs, options);
  return answer;
}

/** `cutOffAt`: an earlier attempt with the same key began then and was cut off; settle, do not resend blind. */
async function invite(
  { services, caller, requestId }: GatewayContext,
  inputs: readonly InvitationInput[],
  { family = INSTANCE, inviterUserId }: InviteOptions,
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
  if (inviterUserId) for (const item of checked) if (item.ok) item.params.inviterUserId = inviterUserId;
  const lane = services.families.lane(family);
  const results =
    cutOffAt === undefined
      ? await Promise.all(checked.map((item) => (item.ok ? lane.batcher.load({ params: item.params, callerId: caller.id, requestId }) : item.failure)))
      : await recoverItems(lane, checked, cutOffAt);
  services.metrics.outcomes(results, family.kind);
  return { results };
}
