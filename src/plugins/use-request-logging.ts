import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.ts';
import { callerOf } from './use-authentication.ts';
import { requestIdOf } from './use-request-id.ts';

const started = new WeakMap<Request, number>();
const operations = new WeakMap<Request, string[]>();

/** Operation names are client-chosen: a log line keeps at most this much of each, and of how many. */
export const MAX_LOGGED_NAME_LENGTH = 64;
const MAX_LOGGED_NAMES = 5;
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** A GraphQL name, cut to a bounded length; anything else (a client can send any string) is dropped. */
const bounded = (name: string | null | undefined): string | undefined =>
  typeof name === 'string' && NAME.test(name)
    ? name.length > MAX_LOGGED_NAME_LENGTH
      ? `${name.slice(0, MAX_LOGGED_NAME_LENGTH)}…`
      : name
    : undefined;

function record(request: Request, name: string) {
  const names = operations.get(request) ?? [];
  if (names.length < MAX_LOGGED_NAMES) names.push(name);
  operations.set(request, names);
}

/**
 * Writes one structured `info` line per request when its response is ready (`onResponse`), carrying the
 * request id that the response header and Clerk call logs share. Probes and scrapes (`/healthz`,
 * `/readyz`, `/metrics`) are left out; a batch names at most its first 5 operations. Below `info` nothing
 * is gathered for it: a request started while the line was off is not logged.
 */
export function useRequestLogging({
  logger,
}: {
  /** Receives the access lines: request id, method, path (no query string), status, ms, caller, operation names. */
  logger: Logger;
}): Plugin<{ request?: Request }> {
  const claimed = new WeakMap<Request, string | undefined>();
  return {
    onRequest({ request }) {
      if (logger.isLevelEnabled('info')) started.set(request, performance.now());
    },
    // What the client asked for, in case the request ends before execution (a parse error, no credential).
    onParams({ params, request }) {
      if (started.has(request)) claimed.set(request, bounded(params.operationName));
    },
    // The operation actually run, named by the document even when the client sent no operationName.
    onExecute({ args }) {
      const request = args.contextValue.request;
      if (!request || !started.has(request)) return;
      record(request, bounded(getOperationAST(args.document, args.operationName)?.name?.value) ?? 'Anonymous');
    },
    onResponse({ request, response }) {
      if (!started.has(request)) return;
      const url = new URL(request.url);
      if (url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/metrics') return;
      const ms = Math.round(performance.now() - started.get(request)!);
      const executed = operations.get(request);
      const operationName = executed ? executed.join(',') : claimed.get(request);
      logger.info(
        { requestId: requestIdOf(request), method: request.method, path: url.pathname, status: response.status, ms, caller: callerOf(request)?.id, operationName },
        `${request.method} ${url.pathname} ${response.status}`,
      );
    },
  };
}
