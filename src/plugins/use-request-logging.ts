import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.ts';
import { callerOf } from './use-authentication.ts';
import { requestIdOf } from './use-request-id.ts';

const started = new WeakMap<Request, number>();

/** One structured line per request, carrying the request id that the response header and Clerk call logs share. */
export function useRequestLogging({ logger }: { logger: Logger }): Plugin {
  return {
    onRequest({ request }) {
      started.set(request, performance.now());
    },
    onResponse({ request, response }) {
      const url = new URL(request.url);
      if (url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/metrics') return;
      const ms = Math.round(performance.now() - (started.get(request) ?? performance.now()));
      logger.info(
        { requestId: requestIdOf(request), method: request.method, path: url.pathname, status: response.status, ms, caller: callerOf(request)?.id },
        `${request.method} ${url.pathname} ${response.status}`,
      );
    },
  };
}
