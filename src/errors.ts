import { getLocation, GraphQLError, type GraphQLResolveInfo, type SourceLocation } from 'graphql';
import { pathToArray } from '@graphql-tools/utils';

/**
 * Every `extensions.code` a top-level error can carry, with what it means to a client. The gateway's
 * own classes may only use these (the constructor's type says so); the rest come from yoga. The
 * schema description is built from this table and client/error-codes.ts mirrors its keys; a test
 * keeps the three equal.
 */
export const ERROR_CODE_MEANINGS = {
  BAD_USER_INPUT: 'an argument is unusable (the message names the field); nothing was done',
  UNAUTHENTICATED: 'no credential, or not a valid one (HTTP 401, WWW-Authenticate)',
  FORBIDDEN: 'the caller is known but lacks the right for this field',
  CSRF_BLOCKED: 'a cookie-authenticated request a browser did not preflight',
  RATE_LIMITED: "the caller's limit, or the gateway's share of Clerk's allowance, is spent; retry after extensions.retryAfterSeconds",
  SERVICE_UNAVAILABLE: 'Redis or the credential check is unavailable; nothing was done; retry after extensions.retryAfterSeconds',
  IDEMPOTENCY_CONFLICT: 'a request with the same idempotency key is still running; retry when it has answered',
  NOT_FOUND: 'revokeInvitation: Clerk has no invitation with this id; cancelInvitationJob: the caller has no job with this id',
  INVITATION_NOT_REVOCABLE: 'revokeInvitation: the invitation was already accepted or revoked',
  UPSTREAM_ERROR: 'Clerk refused or did not answer a list or revoke call',
  GRAPHQL_PARSE_FAILED: 'the document is not valid GraphQL syntax',
  GRAPHQL_VALIDATION_FAILED: 'the document does not fit the schema, or exceeds the depth, alias or query cost limits',
  OPERATION_RESOLUTION_FAILURE: 'operationName names no operation of the document, or a mutation was sent with GET',
  BAD_REQUEST: 'the HTTP request is not a GraphQL request (method, body, parameters)',
  REQUEST_ENTITY_TOO_LARGE: 'the body exceeds MAX_REQUEST_BODY_BYTES',
  INTERNAL_SERVER_ERROR: 'an unexpected failure; the message is masked and the log has the details',
} as const;

export type ErrorCode = keyof typeof ERROR_CODE_MEANINGS;
export const ERROR_CODES = Object.keys(ERROR_CODE_MEANINGS) as ErrorCode[];

/** The schema's description: the codes a client should handle, so GraphiQL and codegen readers see them. */
export const ERROR_CODES_DESCRIPTION = [
  'Top-level errors carry extensions.code, one of:',
  ...ERROR_CODES.map((code) => `- ${code}: ${ERROR_CODE_MEANINGS[code]}`),
  'Per-item invitation failures are data (InvitationFailed.code), not errors.',
].join('\n');

interface GatewayErrorOptions {
  code: ErrorCode;
  status?: number;
  headers?: Record<string, string>;
  extensions?: Record<string, unknown>;
}

/**
 * The one base class for errors the gateway throws on purpose. Yoga shows these to callers as they are
 * (everything else is masked), and uses `extensions.http` for the response status and headers.
 */
export class GatewayError extends GraphQLError {
  constructor(message: string, { code, status, headers, extensions }: GatewayErrorOptions) {
    // An answer to the caller, not a fault: its stack says nothing, and capturing one cost 7 µs and more
    // (deeper stacks under load), several times over for every refused request.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message, {
        extensions: {
          ...extensions,
          code,
          ...(status ? { http: { status, ...(headers ? { headers } : {}) } } : {}),
        },
      });
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.name = new.target.name;
  }

  /**
   * Places an error thrown before a field's resolver at that field (path, locations), as graphql-js's
   * locatedError would. That one wraps an unplaced error in a new GraphQLError, which reads the
   * original's stack and builds a second error: about 20 µs on a refused call, for an answer that
   * carries the same message, code, path and locations. Placed here, the error is answered as it is.
   */
  placeAt(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'path'>): GraphQLError {
    const path = pathToArray(info.path);
    if (this.path !== undefined) {
      // The same instance thrown for a second field, or for the same field of another operation (a
      // rejection shared by concurrent calls): it keeps its first place, and this one gets its own.
      if (this.nodes?.[0] === info.fieldNodes[0] && this.path.join('.') === path.join('.')) return this;
      return new GraphQLError(this.message, { nodes: info.fieldNodes, path, originalError: this, extensions: this.extensions });
    }
    const locs = info.fieldNodes.flatMap((node) => (node.loc ? [node.loc] : []));
    const some = <T>(list: T[]) => (list.length > 0 ? list : undefined);
    // GraphQLError's fields are plain writable properties, the non-enumerable ones stay so.
    return Object.assign(this, {
      path,
      nodes: info.fieldNodes,
      source: locs[0]?.source,
      positions: some(locs.map((loc) => loc.start)),
      locations: some(locs.map((loc): SourceLocation => getLocation(loc.source, loc.start))),
    });
  }
}

/** Builds an error that answers a caller without capturing a stack (see GatewayError). */
export function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The call as a whole is unusable (empty list, too many items); nothing was sent. */
export class BadUserInputError extends GatewayError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(message, { code: 'BAD_USER_INPUT', status: 400, extensions });
  }
}

/** The caller spent its own limit. `Retry-After` is always whole seconds. */
export class RateLimitedError extends GatewayError {
  constructor(message: string, retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(message, {
      code: 'RATE_LIMITED',
      status: 429,
      headers: { 'Retry-After': String(seconds) },
      extensions: { retryAfterSeconds: seconds },
    });
  }
}

export class UnauthenticatedError extends GatewayError {
  constructor(message = 'Authentication required: send a Clerk session token or a gateway API key.') {
    super(message, { code: 'UNAUTHENTICATED', status: 401, headers: { 'WWW-Authenticate': 'Bearer' } });
  }
}

export class ForbiddenError extends GatewayError {
  constructor(message = 'You are signed in but not allowed to do this.') {
    super(message, { code: 'FORBIDDEN', status: 403 });
  }
}

/** A dependency the gateway needs for this request (Redis, the shutdown gate) is not available. */
export class ServiceUnavailableError extends GatewayError {
  constructor(message: string, retryAfterSeconds = 1) {
    super(message, {
      code: 'SERVICE_UNAVAILABLE',
      status: 503,
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
      extensions: { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) },
    });
  }
}

/** No job of the caller's has this id: another caller's job is reported the same way as one that never was. */
export class JobNotFoundError extends GatewayError {
  constructor(id: string) {
    super(`No invitation job of yours has the id ${JSON.stringify(id.slice(0, 80))}.`, { code: 'NOT_FOUND', status: 404 });
  }
}
