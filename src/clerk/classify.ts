import { isClerkAPIResponseError } from '@clerk/backend/errors';
import type { InvitationErrorCode } from '../invitations/types.ts';
import { neverSent, type CallTrace } from './transport.ts';

/** One entry of Clerk's error envelope, as the SDK keeps it. */
export interface ClerkErrorInfo {
  code: string;
  message: string;
  longMessage?: string;
  emailAddresses?: string[];
  identifiers?: string[];
  paramName?: string;
}

/**
 * What a failed call means for the invitations in it:
 * - `rejected`: Clerk refused the request (4xx); nothing was created.
 * - `rate-limited`: Clerk answered 429; nothing was created.
 * - `not-sent`: the request never left (connection refused); nothing was created.
 * - `unknown`: it may have been created (5xx, timeout, reset, unreadable answer).
 */
export type UpstreamFailureInfo =
  | { kind: 'rejected'; status: number; errors: ClerkErrorInfo[]; traceId?: string; message: string }
  | { kind: 'rate-limited'; retryAfterSeconds: number | undefined; traceId?: string; message: string }
  | { kind: 'not-sent'; message: string }
  /**
   * `answered`: Clerk itself replied (its JSON envelope, a `clerk_trace_id` in the body, or a readable
   * 200), so it has finished with the call. Otherwise (timeout, reset, an edge or proxy page, even one
   * with a `cf-ray` trace id) the call may still be running at Clerk.
   */
  | { kind: 'unknown'; status?: number; traceId?: string; message: string; timedOut?: boolean; answered?: boolean; clerkDate?: number };

export class UpstreamFailure extends Error {
  constructor(readonly info: UpstreamFailureInfo) {
    super(info.message);
    this.name = 'UpstreamFailure';
  }
}

function toInfo(error: { code: string; message: string; longMessage?: string; meta?: Record<string, unknown> }): ClerkErrorInfo {
  const meta = error.meta ?? {};
  const list = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined);
  return {
    code: error.code,
    message: error.message,
    longMessage: error.longMessage,
    emailAddresses: list(meta['emailAddresses']),
    identifiers: list(meta['identifiers']),
    paramName: typeof meta['paramName'] === 'string' ? meta['paramName'] : undefined,
  };
}

export function classifyUpstreamError(error: unknown, trace?: CallTrace): UpstreamFailure {
  if (error instanceof UpstreamFailure) return error;
  if (trace?.timedOut) {
    return new UpstreamFailure({ kind: 'unknown', timedOut: true, message: `Clerk did not answer within ${trace.timeoutMs} ms` });
  }
  if (!isClerkAPIResponseError(error)) {
    return new UpstreamFailure({ kind: 'unknown', message: error instanceof Error ? error.message : String(error) });
  }
  const traceId = error.clerkTraceId || undefined;
  const status = error.status;
  const errors = (error.errors ?? []).map(toInfo);
  const summary = errors.map((e) => e.longMessage || e.message).join('; ') || error.message || 'no detail';
  // The SDK turns every network failure into status undefined and drops the cause; the transport's
  // trace tells a refused connection (nothing sent) from one that died after the request was written.
  if (status === undefined) {
    const cause = trace?.transportError;
    const detail = cause ? `${cause.code ?? cause.name}: ${cause.message}` : summary;
    if (trace && neverSent(trace)) return new UpstreamFailure({ kind: 'not-sent', message: detail });
    return new UpstreamFailure({ kind: 'unknown', message: `network failure (${detail})` });
  }
  if (status === 429) {
    return new UpstreamFailure({ kind: 'rate-limited', retryAfterSeconds: error.retryAfter, traceId, message: summary });
  }
  if (status >= 400 && status < 500 && errors.length > 0) {
    return new UpstreamFailure({ kind: 'rejected', status, errors, traceId, message: summary });
  }
  // A 4xx without Clerk's envelope came from something in between (a proxy), not from Clerk's checks.
  // Only Clerk's own envelope, or a trace id from its body, shows Clerk itself answered: the SDK also
  // takes the trace id from Cloudflare's `cf-ray`, which an edge page carries while Clerk still works.
  const traceFromBody = traceId !== undefined && traceId !== trace?.cfRay;
  const answered = traceFromBody || errors.length > 0;
  // Clerk's Date header on its own answer bounds when the call could have created anything.
  const clerkDate = answered && trace?.date ? Date.parse(trace.date) : NaN;
  return new UpstreamFailure({
    kind: 'unknown',
    status,
    traceId,
    answered,
    message: `HTTP ${status}: ${summary}`,
    ...(Number.isFinite(clerkDate) ? { clerkDate } : {}),
  });
}

/** The per-item outcome code for one of Clerk's errors. */
export function codeForClerkError({ code, paramName }: Pick<ClerkErrorInfo, 'code' | 'paramName'>): InvitationErrorCode {
  if (code === 'duplicate_record' || code === 'organization_invitation_not_unique') return 'ALREADY_INVITED';
  if (code === 'form_identifier_exists') return 'USER_EXISTS';
  if (code === 'already_a_member_in_organization') return 'ALREADY_MEMBER';
  if (code === 'organization_membership_quota_exceeded') return 'MEMBERSHIP_QUOTA_EXCEEDED';
  // The inviter (a session's user) is not an admin member of the organization at Clerk.
  if (code === 'not_allowed_access' || code === 'missing_organization_permission' || code === 'not_a_member_in_organization') return 'NOT_ALLOWED';
  if (code.startsWith('form_') || (code === 'resource_not_found' && paramName === 'role')) return 'INVALID_INPUT';
  return 'UPSTREAM_ERROR';
}
