import type { ClientCost } from '../servers/clerk-client-cost.ts';
import type { Cell, ScenarioOutput } from '../support/report.ts';
import { median, round } from '../support/stats.ts';
import type { Slot } from './overhead-load.ts';
import { ROWS, SERVER_LABELS, type ServerKey } from './overhead-servers.ts';
import type { StartupRss } from './startup-memory.ts';
import { checkTargets } from './overhead-targets.ts';
import type { MemorySeen, OverheadSettings, RowSummary } from './overhead-types.ts';


export interface OverheadInput {
  settings: OverheadSettings;
  slots: Record<string, Slot[]>;
  /** For each row measured right after a run of plain yoga like for like, that run, round by round. */
  baselines: Record<string, Slot[]>;
  clientCosts: ClientCost[];
  memory: Record<ServerKey, MemorySeen>;
  startup: { rows: StartupRss[]; built: boolean };
  authEnforced: boolean;
  pinning: string;
  refusedCode: string;
  /** API keys the `invitations` query rotates over. */
  readerKeys: number;
}

function summarize(key: string, label: string, rounds: Slot[]): RowSummary {
  const of = (pick: (s: Slot) => number) => median(rounds.map(pick));
  const withClerk = rounds.filter((s) => s.upstream);
  const sum = (pick: (s: Slot) => number) => withClerk.reduce((total, s) => total + pick(s), 0);
  const calls = sum((s) => s.upstream!.bulkCalls + s.upstream!.singleCalls);
  return {
    key,
    label,
    requestsPerSecond: of((s) => s.requestsPerSecond),
    p50Ms: of((s) => s.p50Ms),
    p99Ms: of((s) => s.p99Ms),
    cpuUsPerRequest: of((s) => s.cpuUsPerRequest),
    busyPercent: of((s) => s.busyPercent),
    failed: rounds.reduce((total, s) => total + s.failed, 0),
    ok: rounds.reduce((total, s) => total + s.ok, 0),
    upstream:
      withClerk.length === 0
        ? null
        : {
            bulkCalls: sum((s) => s.upstream!.bulkCalls),
            singleCalls: sum((s) => s.upstream!.singleCalls),
            items: sum((s) => s.upstream!.items),
            created: sum((s) => s.upstream!.created),
            invitationsPerCall: round(sum((s) => s.upstream!.items) / Math.max(1, calls)),
          },
    rounds,
  };
}

const MB = 1024 * 1024;
const mb = (bytes: number | undefined) => (bytes === undefined ? null : round(bytes / MB, 1));
export const times = (value: number, base: number) => `${round(value / base, 2)}×`;
const percent = (value: number) => `±${round(value * 100, 1)}%`;
/** Half the gap between two measures of identical servers, as a share of their mean. */
export const spread = (a: number, b: number) => Math.abs(a - b) / (a + b);

/**
 * How far plain yoga like for like, run several times a round (minutes apart), moved within a round:
 * (max - min) / (max + min) of its CPU per request, median and worst over rounds.
 */
function plainSpread(slots: Slot[], rounds: number): { median: number; worst: number } {
  const perRound = slots.length / rounds;
  const spreads = Array.from({ length: rounds }, (_, r) => {
    const cpu = slots.slice(r * perRound, (r + 1) * perRound).map((s) => s.cpuUsPerRequest);
    return spread(Math.max(...cpu), Math.min(...cpu));
  });
  return { median: median(spreads), worst: Math.max(...spreads) };
}

export function overheadReport(input: OverheadInput): ScenarioOutput {
  const { settings, clientCosts, memory, startup } = input;
  const rows = ROWS.map((def) => summarize(def.key, def.label, input.slots[def.key]!));
  const by = Object.fromEntries(rows.map((r) => [r.key, r])) as Record<string, RowSummary>;
  const like = by['plainLike']!;
  const defaults = by['plainDefault']!;
  const likeQuery = by['plainLikeQuery']!;
  const client = { cpuUsPerCall: median(clientCosts.map((c) => c.cpuUsPerCall)), callsPerSecond: median(clientCosts.map((c) => c.callsPerSecond)) };
  const perCall = by['fullPath']!.upstream?.invitationsPerCall ?? 1;
  const clientPerRequest = client.cpuUsPerCall / Math.max(1, perCall);
  const noise = {
    cpu: spread(by['fullPath']!.cpuUsPerRequest, by['control']!.cpuUsPerRequest),
    cpuWorstRound: Math.max(...by['fullPath']!.rounds.map((s, i) => spread(s.cpuUsPerRequest, by['control']!.rounds[i]!.cpuUsPerRequest))),
    requestsPerSecond: spread(by['fullPath']!.requestsPerSecond, by['control']!.requestsPerSecond),
    plain: plainSpread(by['plainLike']!.rounds, settings.rounds),
  };
  const isQuery = (key: string) => ROWS.find((r) => r.key === key)!.workload === 'query';
  const table: Cell[][] = rows.map((s) => [
    s.label,
    round(s.requestsPerSecond, 0),
    round(s.p50Ms, 1),
    round(s.p99Ms, 1),
    round(s.cpuUsPerRequest, 0),
    times(s.cpuUsPerRequest, isQuery(s.key) ? likeQuery.cpuUsPerRequest : like.cpuUsPerRequest),
    isQuery(s.key) ? null : times(s.cpuUsPerRequest, defaults.cpuUsPerRequest),
    `${round(s.busyPercent, 0)}%`,
    s.upstream ? `${s.upstream.bulkCalls.toLocaleString('en-US')} bulk + ${s.upstream.singleCalls.toLocaleString('en-US')} single` : '–',
    s.upstream ? s.upstream.invitationsPerCall : null,
    s.failed,
  ]);
  table.push([
    `Clerk client alone: \`@clerk/backend\` createInvitationBulk of 10 against the emulator, ${clientCosts[0]?.concurrency ?? '–'} calls in flight`,
    round(client.callsPerSecond, 0),
    null,
    null,
    `${round(client.cpuUsPerCall, 0)} a call, ${round(clientPerRequest, 0)} a request`,
    times(clientPerRequest, like.cpuUsPerRequest),
    times(clientPerRequest, defaults.cpuUsPerRequest),
    null,
    null,
    perCall,
    null,
  ]);
  const memoryRows: Cell[][] = (Object.keys(SERVER_LABELS) as ServerKey[]).map((key) => {
    const { ready, after, collected, peakRss } = memory[key];
    return [SERVER_LABELS[key], mb(ready.rss), mb(ready.heapUsed), mb(after?.rss), mb(after?.heapUsed), mb(collected?.heapUsed), after ? round((after.rss - ready.rss) / MB, 1) : null, mb(peakRss)];
  });
  for (const s of startup.rows) memoryRows.push([s.name, s.rssMb === null ? s.skipped ?? null : round(s.rssMb, 1), null, null, null, null, null, null]);
  // A ratio moves with either of its sides: the larger of the two spreads is its noise.
  const targets = checkTargets({ by, baselines: input.baselines, memory, clientPerRequest, settings, noise: Math.max(noise.cpu, noise.plain.median) });
  const { connections, firstWarmSeconds, warmSeconds, measureSeconds, rounds } = settings;
  return {
    key: 'overhead',
    title: '3. Overhead: CPU per request, throughput, latency and memory',
    intro:
      `Every row is its own server process on the same pinned core (${input.pinning}); the load generator (autocannon, ${connections} connections) and the emulator share the other. ` +
      (firstWarmSeconds > 0 ? `Every row first runs its load once for ${firstWarmSeconds} s (a fresh server's first seconds cost up to twice the steady CPU); then ` : '') +
      `${rounds} round${rounds > 1 ? 's' : ''}; in each, every row is warmed up for ${warmSeconds} s and measured for ${measureSeconds} s right after, rows interleaved and each round starting one row later. ` +
      'Figures are the median over rounds (every round is in results.json). CPU per request is the server process\'s own CPU time (`process.cpuUsage()`, every thread, reported over IPC) over the measured run, divided by its 2xx answers. ' +
      'Creates invite one new address each with the API key header; the `invitations` query asks for a page of 10, rotating over ' +
      `${input.readerKeys} API keys so its caller limit (120 a minute, not raised by RATE_LIMIT_MAX) never refuses. ` +
      `Gateways run as deployed (${startup.built ? 'the production build, `dist/src/main.js` as `npm start` runs it' : 'src through tsx: a quick run does not build'}, \`NODE_ENV=production\`, logs at warn, metrics on, auth ${input.authEnforced ? 'enforced: a call without the key is answered 401' : 'NOT enforced by this build'}), caller limit and hourly budget raised except where refused. ` +
      `Plain yoga serves the same schema.graphql with resolvers that answer at once${startup.built ? ' (bench/servers/reference-main.ts compiled by tsc like the build)' : ''}. ` +
      '"Like for like" is plain yoga with the gateway\'s body handling (Content-Length checked before reading, only bodies without one streamed, 1 MB), written apart in bench/servers; "yoga defaults" is what a user gets (25 MB limit that streams every body). ' +
      `The refused row is the realistic flood refusal: Clerk's hourly budget spent (budget 1 bulk + 1 single call, spent before the rounds), so every item is answered \`${input.refusedCode}\` without a Clerk call. The caller-limit row is the other flood refusal: RATE_LIMIT_MAX=1, so every call after the first is a GraphQL error, HTTP 429 (its CPU per request is per 429 answer).`,
    tables: [
      {
        columns: ['row', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'CPU vs plain, like for like', 'CPU vs plain, yoga defaults', 'server busy', 'Clerk calls', 'inv/call', 'non-2xx + errors'],
        rows: table,
      },
      { caption: 'Targets (against plain yoga like for like; the same ratios against plain yoga\'s defaults for reference). A CPU ratio here is the median of the ratios within each round, every row of a round measured within a minute, so the machine\'s drift between rounds cancels; the table above divides medians over rounds:', columns: ['target', 'measured', 'limit', 'result', 'vs yoga defaults'], rows: targets.rows },
      {
        caption:
          "Memory (MB): at ready (before any load) and right after the server's last measured run; heap is heapUsed as the server saw it (no forced collection); " +
          "heap kept is heapUsed after every round and two forced full collections, what the server really holds, the rest of 'heap after' being garbage V8 had not yet collected; peak is the largest RSS any probe saw.",
        columns: ['server', 'RSS ready', 'heap ready', 'RSS after', 'heap after', 'heap kept', 'RSS growth', 'RSS peak'],
        rows: memoryRows,
      },
    ],
    notes: [
      `**Noise floor:** the control instance, identical to the default gateway, differed from it by ${percent(noise.cpu)} in CPU per request (median of rounds; ${percent(noise.cpuWorstRound)} in the worst round) and ${percent(noise.requestsPerSecond)} in req/s. Plain yoga like for like, run before each of the refused, pipeline and full-path rows, moved by ${percent(noise.plain.median)} within a round (median of rounds; ${percent(noise.plain.worst)} in the worst), its runs minutes apart. A ratio closer to its target than the larger of the two is within noise.`,
      `The full path's CPU per request is the gateway's own pipeline (${times(by['pipeline']!.cpuUsPerRequest, like.cpuUsPerRequest)} plain) plus the Clerk client's share, ${round(client.cpuUsPerCall, 0)} µs per bulk call ÷ ${perCall} invitations per call = ${round(clientPerRequest, 0)} µs a request (${times(clientPerRequest, like.cpuUsPerRequest)} plain), plus what is left (HTTP bookkeeping around the call, reconciliation of Clerk's clock, per-call spans and metrics).`,
      startup.built
        ? 'Start-up RSS rows: `npm run build` ran first, then each start read /proc/<pid>/status VmRSS one second after /healthz answered.'
        : 'Start-up RSS rows: a quick run does not build, so they are skipped.',
      'Latency under a closed loop of connections is mostly queueing (connections ÷ throughput); CPU per request is the cost independent of that. Where a server was not kept busy, its req/s is a lower bound.',
    ],
    data: { settings, authEnforced: input.authEnforced, pinning: input.pinning, refusedCode: input.refusedCode, rows, baselines: input.baselines, clerkClient: { ...client, perRequestUs: clientPerRequest, rounds: clientCosts }, noise, memory, startup, targets: targets.results },
  };
}
