import type { Plugin } from 'graphql-yoga';

export interface HealthCheckOptions {
  /**
   * Resolves to the reasons the gateway cannot serve now; empty when ready. Asked on every `/readyz`
   * request, never for `/healthz`; a rejection answers 503 with the reason `readiness check failed`.
   */
  notReadyReasons: () => Promise<string[]>;
}

/**
 * Answers the probes in `onRequest`, before anything else runs, matching the path only (any method,
 * any query string): `/healthz`, the process answers (200 `{status: 'ok'}`); `/readyz`, it can do
 * useful work (200 `{status: 'ready', reasons: []}` or 503 `{status: 'not ready', reasons}`; load
 * balancers route on this).
 */
export function useHealthChecks({ notReadyReasons }: HealthCheckOptions): Plugin {
  return {
    // Not async: a promise from this hook would send every later onRequest hook of every request
    // through promises too; only /readyz waits for anything.
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === '/healthz') {
        endResponse(fetchAPI.Response.json({ status: 'ok' }));
      } else if (url.pathname === '/readyz') {
        // A broken check is a reason not to take traffic, and the balancer still gets an answer it can read.
        return notReadyReasons()
          .catch(() => ['readiness check failed'])
          .then((reasons) => {
            const ready = reasons.length === 0;
            endResponse(fetchAPI.Response.json({ status: ready ? 'ready' : 'not ready', reasons }, { status: ready ? 200 : 503 }));
          });
      }
      return undefined;
    },
  };
}
