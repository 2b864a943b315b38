import { UpstreamFailure } from '../clerk/classify.ts';
import { GeneralLimitRefusal } from '../clerk/general-limit.ts';
import { GatewayError, RateLimitedError } from '../errors.ts';

/** Clerk has no invitation with this id (in this instance). */
export class InvitationNotFoundError extends GatewayError {
  constructor(id: string, clerkTraceId?: string) {
    super(`id: no invitation ${id} in this Clerk application.`, { code: 'NOT_FOUND', status: 404, extensions: { field: 'id', clerkTraceId } });
  }
}

/** The invitation exists but is already accepted or revoked, so there is nothing to revoke. */
export class InvitationNotRevocableError extends GatewayError {
  constructor(id: string, clerkCode: string, clerkTraceId?: string) {
    const why = clerkCode === 'invitation_already_accepted' ? 'was already accepted' : 'is already revoked';
    super(`Invitation ${id} ${why}; only pending invitations can be revoked.`, {
      code: 'INVITATION_NOT_REVOCABLE',
      status: 409,
      extensions: { clerkCode, clerkTraceId },
    });
  }
}

/**
 * Clerk refused or could not answer a list or revoke call. The message is the gateway's own: Clerk's
 * raw answer stays in the log.
 */
export class UpstreamCallError extends GatewayError {
  constructor(message: string, options: { status: 502 | 503; retryAfterSeconds?: number; clerkTraceId?: string }) {
    const retry = options.retryAfterSeconds === undefined ? undefined : Math.max(1, Math.ceil(options.retryAfterSeconds));
    super(message, {
      code: 'UPSTREAM_ERROR',
      status: options.status,
      headers: retry === undefined ? undefined : { 'Retry-After': String(retry) },
      extensions: { retryAfterSeconds: retry, clerkTraceId: options.clerkTraceId },
    });
  }
}

/**
 * Maps a failed Clerk call to what the caller can act on; anything unexpected is rethrown (and masked).
 * `mutating`: the call changes data, so an unanswered one may still have taken effect.
 */
export function toUpstreamCallError(error: unknown, action: string, mutating: boolean): Error {
  if (!(error instanceof UpstreamFailure)) return error instanceof Error ? error : new Error(String(error));
  const { info } = error;
  // The gateway's share of Clerk's general allowance is spent, or a 429 paused these calls: nothing was sent.
  if (error instanceof GeneralLimitRefusal && info.kind === 'rate-limited') {
    return new RateLimitedError(`Clerk's request allowance is used up for now; the gateway did not ${action}. Retry later.`, info.retryAfterSeconds ?? 10);
  }
  switch (info.kind) {
    case 'rate-limited':
      return new UpstreamCallError(`Clerk is rate limiting the gateway and did not ${action}. Retry later.`, {
        status: 503,
        retryAfterSeconds: info.retryAfterSeconds ?? 60,
        clerkTraceId: info.traceId,
      });
    case 'rejected':
      return new UpstreamCallError(`Clerk refused to ${action} (${info.errors.map((e) => e.code).join(', ')}).`, { status: 502, clerkTraceId: info.traceId });
    case 'not-sent':
      return new UpstreamCallError(`Clerk could not be reached and did not ${action}. Retry shortly.`, { status: 503, retryAfterSeconds: 5 });
    case 'unknown': {
      const next = mutating ? 'It may have done so; check before retrying.' : 'Retry shortly.';
      return new UpstreamCallError(`Clerk did not answer properly when asked to ${action}. ${next}`, { status: 502, clerkTraceId: info.traceId });
    }
  }
}
