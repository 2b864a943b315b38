import { GraphQLError } from 'graphql';

interface GatewayErrorOptions {
  code: string;
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
    super(message, {
      extensions: {
        ...extensions,
        code,
        ...(status ? { http: { status, ...(headers ? { headers } : {}) } } : {}),
      },
    });
    this.name = new.target.name;
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
