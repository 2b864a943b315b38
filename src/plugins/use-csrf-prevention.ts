import type { Plugin } from 'graphql-yoga';
import { CSRF_HEADERS, isPreflighted, readCredential } from '../auth/credentials.ts';
import { GatewayError } from '../errors.ts';

/** A cookie-authenticated request that a browser could have sent on another site's behalf. */
export class CsrfBlockedError extends GatewayError {
  constructor() {
    super(
      `Requests authenticated by the session cookie must be sent with Content-Type: application/json or a ${CSRF_HEADERS.join(' / ')} header.`,
      { code: 'CSRF_BLOCKED', status: 403 },
    );
  }
}

/**
 * Refuses, in `onRequestParse`, cookie-authenticated requests a browser would send without a preflight
 * (403 CSRF_BLOCKED). Takes no options.
 *
 * CSRF protection for callers that authenticate with Clerk's `__session` cookie: the request must be
 * one a browser preflights (see `isPreflighted`), which another site cannot get past CORS. Callers that
 * send a header credential are not affected, since a header already forces the preflight. Runs before
 * authentication, so a blocked request's token is never even verified.
 */
export function useCsrfPrevention(): Plugin {
  return {
    onRequestParse({ request }) {
      const credential = readCredential(request);
      if (credential.kind !== 'none' && credential.source === 'cookie' && !isPreflighted(request)) throw new CsrfBlockedError();
    },
  };
}
