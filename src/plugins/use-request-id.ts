import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;
const ids = new WeakMap<Request, string>();

/** The caller's `X-Request-Id` when it is sane, a fresh one otherwise. */
export function requestIdOf(request: Request): string {
  let id = ids.get(request);
  if (!id) {
    const given = request.headers.get('x-request-id');
    id = given && ACCEPTED.test(given) ? given : randomUUID();
    ids.set(request, id);
  }
  return id;
}

/**
 * Returns the request id as `X-Request-Id` on every response (`onResponse`, refusals and unknown paths
 * included) so a caller can quote it when reporting a problem. Takes no options: the caller's id is
 * kept when it is 1 to 128 of `A-Z a-z 0-9 . _ : -`, and a fresh UUID replaces anything else.
 */
export function useRequestId(): Plugin {
  return {
    onResponse({ request, response }) {
      response.headers.set('X-Request-Id', requestIdOf(request));
    },
  };
}
