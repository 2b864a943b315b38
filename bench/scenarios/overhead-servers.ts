import type { EmulatorTally } from '../servers/emulator-host.ts';
import { type BenchApiKey, benchApiKey } from '../support/auth.ts';
import { type ProbedServer, startProbedServer } from '../support/probed-server.ts';
import { REFERENCE_ENTRY } from '../support/reference-build.ts';
import { type ClerkTarget, gatewayEnv, RAISED_BUDGET, referenceEnv } from '../support/targets.ts';
import type { Workload } from './overhead-load.ts';

/** The servers of the overhead scenario, each its own process, pinned to the same core. */
export type ServerKey = 'plainDefault' | 'plainLike' | 'plainLikeQuery' | 'refused' | 'callerRefused' | 'pipeline' | 'gateway' | 'control';

/** How the memory table names each server. */
export const SERVER_LABELS: Record<ServerKey, string> = {
  plainDefault: 'plain yoga, yoga defaults',
  plainLike: 'plain yoga, like for like',
  plainLikeQuery: 'plain yoga, like for like (query)',
  refused: 'gateway, budget spent',
  callerRefused: 'gateway, caller limit spent',
  pipeline: 'gateway, Clerk in process (pipeline and query rows)',
  gateway: 'gateway, default, over HTTP',
  control: 'gateway, control instance',
};

/** One row of the table: a server under one kind of request. */
export interface RowDef {
  key: string;
  label: string;
  server: ServerKey;
  workload: Workload;
  /** Whether the emulator's tally of Clerk calls belongs to this row. */
  talksToClerk?: boolean;
  /** The HTTP status every answer of this row has; any 2xx when unset. */
  status?: number;
}

export const ROWS: RowDef[] = [
  { key: 'plainDefault', label: 'plain yoga, its default body limit (25 MB, every body streamed)', server: 'plainDefault', workload: 'create' },
  { key: 'plainLike', label: 'plain yoga, like for like (Content-Length checked, only bodies without one streamed)', server: 'plainLike', workload: 'create' },
  { key: 'plainLikeQuery', label: 'plain yoga, like for like: `invitations` query (a fixed page of 10)', server: 'plainLikeQuery', workload: 'query' },
  { key: 'refused', label: 'gateway: createInvitations refused, Clerk budget spent', server: 'refused', workload: 'create' },
  { key: 'callerRefused', label: "gateway: createInvitations refused by the caller's own limit (429 RATE_LIMITED)", server: 'callerRefused', workload: 'create', status: 429 },
  { key: 'query', label: 'gateway: `invitations` query, Clerk in process (a fixed page of 10)', server: 'pipeline', workload: 'query' },
  { key: 'pipeline', label: "gateway's own pipeline: createInvitations, Clerk answered in process", server: 'pipeline', workload: 'create' },
  { key: 'fullPath', label: 'gateway, full path over HTTP to the emulator (default settings)', server: 'gateway', workload: 'create', talksToClerk: true },
  { key: 'control', label: 'control: a second, identical instance of the row above', server: 'control', workload: 'create', talksToClerk: true },
];

/**
 * The order of a round, in units that stay together: each row a target ratio is read for runs right
 * after its own run of plain yoga like for like, its baseline, so the two sides of a ratio are seconds
 * apart instead of most of a round (the host's speed has moved by half within a minute). Plain yoga
 * like for like therefore runs three times a round, which also shows how much a server moves between
 * runs minutes apart. Rounds rotate by units.
 */
export const ROUND_UNITS: readonly (readonly string[])[] = [
  ['plainDefault'],
  ['plainLike', 'refused'],
  ['callerRefused'],
  ['plainLikeQuery', 'query'],
  ['plainLike', 'pipeline'],
  ['plainLike', 'fullPath', 'control'],
];

/** Keys the `invitations` query rotates through: its caller limit (120 a minute) is not raised by RATE_LIMIT_MAX. */
export function queryKeys(count: number): BenchApiKey[] {
  return Array.from({ length: count }, (_, i) => benchApiKey(`q${i}`));
}

/**
 * `fromBuild`: the gateways run the production build (`dist/src/main.js`, what `npm start` runs) and
 * plain yoga its compiled reference server (see buildReference), not their sources through tsx, whose
 * `keepNames` adds a property definition to every function created at run time: about a tenth of a
 * refused request's CPU for the gateway, a few closures a request for the reference. Only a quick run,
 * which does not build, runs both from source.
 */
export function startServers(clerk: ClerkTarget, apiKey: BenchApiKey, readers: BenchApiKey[], fromBuild: boolean): Record<ServerKey, () => Promise<ProbedServer>> {
  const keys = [apiKey, ...readers].map((k) => k.env.GATEWAY_API_KEYS).join(',');
  const entry = fromBuild ? 'dist/src/main.js' : 'src/main.ts';
  const gateway = (env: Record<string, string> = {}) => () => startProbedServer(entry, gatewayEnv(clerk, apiKey, env), '/healthz');
  const plain = (bodyLimit: 'yoga-default' | 'content-length') => () =>
    startProbedServer(fromBuild ? REFERENCE_ENTRY : 'bench/servers/reference-main.ts', referenceEnv('immediate', undefined, bodyLimit), '/health');
  return {
    plainDefault: plain('yoga-default'),
    plainLike: plain('content-length'),
    plainLikeQuery: plain('content-length'),
    // Clerk's own limits (one call each is enough to spend): the flood's usual answer, RATE_LIMITED per item.
    refused: gateway({ UPSTREAM_BULK_PER_HOUR: '1', UPSTREAM_SINGLE_PER_HOUR: '1' }),
    // The other flood refusal: the caller's own limit (one invitation an hour), answered with a GraphQL error.
    callerRefused: gateway({ RATE_LIMIT_MAX: '1' }),
    pipeline: () =>
      startProbedServer(
        'bench/servers/gateway-in-process.ts',
        gatewayEnv({ url: 'http://127.0.0.1:9', secretKey: 'sk_test_in_process' }, apiKey, { ...RAISED_BUDGET, GATEWAY_API_KEYS: keys, BENCH_FROM_BUILD: fromBuild ? '1' : '' }),
        '/healthz',
      ),
    gateway: gateway(),
    control: gateway(),
  };
}

export const diffTally = (a: EmulatorTally, b: EmulatorTally): EmulatorTally => ({
  bulkCalls: b.bulkCalls - a.bulkCalls,
  singleCalls: b.singleCalls - a.singleCalls,
  items: b.items - a.items,
  created: b.created - a.created,
});
