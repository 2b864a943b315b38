import type { Plugin } from 'graphql-yoga';

export interface HealthCheckOptions {
  /** Resolves to the reasons the gateway cannot serve now; empty when ready. */
  notReadyReasons: () => Promise<string[]>;
}

/** `/healthz`: the process answers. `/readyz`: it can do useful work (load balancers route on this). */
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
