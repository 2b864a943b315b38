import type { Plugin } from 'graphql-yoga';
import type { Authenticate, AuthOutcome } from '../auth/authenticator.ts';
import type { Caller } from '../auth/caller.ts';
import { ServiceUnavailableError, UnauthenticatedError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { requestIdOf } from './use-request-id.ts';

export interface AuthenticationOptions {
  /** Turns the request's one credential into a caller or a reason it failed (see `createAuthenticator`). */
  authenticate: Authenticate;
  /** Receives one line per request: `debug` for an admitted caller, `info` with the reason for a refusal. */
  logger: Logger;
}

const callers = new WeakMap<Request, Caller>();

/** The caller `useAuthentication` admitted for this request; undefined if it never ran. */
export const callerOf = (request: Request): Caller | undefined => callers.get(request);

function publicMessage(outcome: Extract<AuthOutcome, { ok: false }>): string | undefined {
  if (outcome.reason === 'no-credential') return undefined;
  if (outcome.reason === 'token-expired') return 'The session token has expired; get a fresh one from Clerk (getToken()) and retry.';
  if (outcome.reason === 'two-credentials') return 'Send one credential: either Authorization or X-API-Key, not both.';
  // The token's holder already knows its claims; naming the bad one helps whoever mints it.
  if (outcome.reason === 'token-claims-invalid') return `The credential is not valid: ${outcome.detail ?? 'malformed claims'}.`;
  if (outcome.reason === 'machine-audience-mismatch') return 'The machine token was issued for another audience (aud) than this gateway.';
  return 'The credential is not valid.';
}

/**
 * Admits or refuses the caller of every GraphQL request, in `onRequestParse` (before the body is read).
 *
 * Every GraphQL request needs a credential; without a valid one it ends here with 401 before its
 * body is parsed, so it reaches neither Clerk, nor the budget, nor the caller limits. The reason goes
 * to the log (the credential never does); the caller learns only what helps it recover.
 * Credentials that cannot be checked now (`status: 503`, Clerk unreachable) answer 503
 * SERVICE_UNAVAILABLE with `Retry-After: 5` rather than a 401 that would sign the user out.
 */
export function useAuthentication({ authenticate, logger }: AuthenticationOptions): Plugin {
  return {
    // A promise only when the credential needs one (a token): an async hook would send every later
    // onRequestParse hook of every request through promises.
    onRequestParse({ request }) {
      const outcome = authenticate(request);
      return outcome instanceof Promise ? outcome.then(admit) : admit(outcome);
      function admit(outcome: AuthOutcome): void {
        if (outcome.ok) {
          callers.set(request, outcome.caller);
          if (logger.isLevelEnabled('debug')) logger.debug({ requestId: requestIdOf(request), caller: outcome.caller.id, via: outcome.source }, 'authenticated');
          return;
        }
        const { reason, detail, source, status } = outcome;
        if (logger.isLevelEnabled('info')) logger.info({ requestId: requestIdOf(request), reason, detail, via: source, status }, `authentication failed: ${reason}`);
        if (status === 503) throw new ServiceUnavailableError('Credentials cannot be checked right now (Clerk is unreachable); retry shortly.', 5);
        throw new UnauthenticatedError(publicMessage(outcome));
      }
    },
  };
}
