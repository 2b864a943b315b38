import autocannon from 'autocannon';
import { print } from 'graphql';
import { InvitationsDocument } from '../../client/generated/graphql.js';
import type { EmulatorTally } from '../servers/emulator-host.ts';
import { PAGE_SIZE } from '../servers/in-process-clerk.ts';
import type { ProbeReading } from '../support/probe.ts';
import type { ProbedServer } from '../support/probed-server.ts';
import { inviteBody } from '../support/targets.ts';

/** What one measured run sends: a createInvitations with one new address, or one page of `invitations`. */
export type Workload = 'create' | 'query';

export interface LoadShape {
  connections: number;
  workload: Workload;
  /** Headers of each request in turn; the query rotates API keys so no caller meets its own limit. */
  headers: readonly Record<string, string>[];
  tag: string;
  /** The status every answer should have; any 2xx when unset. */
  status?: number;
}

export interface Slot {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  failed: number;
  /** The server's own CPU time (all threads) per expected answer (2xx unless the row says), read from the server process. */
  cpuUsPerRequest: number;
  /** Share of its one core the server used while measured: below 100% it was waiting, not computing. */
  busyPercent: number;
  /** Clerk calls made during the run, where the server talks to the emulator. */
  upstream?: EmulatorTally;
}

const QUERY_BODY = JSON.stringify({ query: print(InvitationsDocument), variables: { first: PAGE_SIZE } });

/** One closed loop of `connections` for `seconds` (autocannon counts whole seconds). */
export function load(url: string, shape: LoadShape, seconds: number) {
  let n = 0;
  return autocannon({
    url: `${url}/graphql`,
    connections: shape.connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/graphql',
        setupRequest: (request) => {
          const i = n++;
          return {
            ...request,
            headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...shape.headers[i % shape.headers.length] },
            // A repeated address would be refused as already invited: every create invites a new one.
            body: shape.workload === 'create' ? inviteBody([`${shape.tag}-${i}@example.com`]) : QUERY_BODY,
          };
        },
      },
    ],
  });
}

/**
 * Warms the server up right before it is measured: a server that sat idle while the others ran
 * spends up to three times the steady CPU in its first second of load.
 */
export async function warmAndMeasure(
  server: ProbedServer,
  shape: LoadShape,
  { warmSeconds, measureSeconds, beforeMeasure }: { warmSeconds: number; measureSeconds: number; beforeMeasure?: () => Promise<void> },
): Promise<{ slot: Slot; after: ProbeReading }> {
  await load(server.url, { ...shape, tag: `${shape.tag}-warm` }, warmSeconds);
  await beforeMeasure?.();
  const before = await server.probe();
  const started = performance.now();
  const run = await load(server.url, shape, measureSeconds);
  const wallUs = (performance.now() - started) * 1000;
  const after = await server.probe();
  const cpuUs = after.cpuUs - before.cpuUs;
  const ok = shape.status === undefined ? run['2xx'] : ((run.statusCodeStats as Record<string, { count: number }> | undefined)?.[String(shape.status)]?.count ?? 0);
  const slot: Slot = {
    requestsPerSecond: ok / run.duration,
    p50Ms: run.latency.p50,
    p99Ms: run.latency.p99,
    ok,
    failed: run['1xx'] + run['2xx'] + run['3xx'] + run['4xx'] + run['5xx'] - ok + run.errors,
    cpuUsPerRequest: cpuUs / Math.max(1, ok),
    busyPercent: (cpuUs / wallUs) * 100,
  };
  return { slot, after };
}
