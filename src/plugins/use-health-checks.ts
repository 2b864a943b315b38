import type { Plugin } from 'graphql-yoga';

export interface HealthCheckOptions {
  /**
   * Resolves to the reasons the gateway cannot serve now; empty when ready. Asked on every `/readyz`
   * request, never for `/healthz`; a rejection is not caught here, so the probe fails rather than answering ready.
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
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === '/healthz') {
        endResponse(fetchAPI.Response.json({ status: 'ok' }));
      } else if (url.pathname === '/readyz') {
        const reasons = await notReadyReasons();
        const ready = reasons.length === 0;
        endResponse(fetchAPI.Response.json({ status: ready ? 'ready' : 'not ready', reasons }, { status: ready ? 200 : 503 }));
      }
    },
  };
}
