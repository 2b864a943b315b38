import { startEmulator, type CallRecord, type Emulator } from '../../src/emulator/index.ts';
import type { BenchApiKey } from '../support/auth.ts';
import type { ServerProcess } from '../support/processes.ts';
import type { ScenarioOutput } from '../support/report.ts';
import { quantile, round, sizeList } from '../support/stats.ts';
import { invite, RAISED_EMULATOR_LIMITS, startGateway, startReference } from '../support/targets.ts';

const CONCURRENCY = [1, 10, 37, 100, 500];
/** Clerk's bulk endpoint takes at most 10 invitations, so ⌈N/10⌉ calls is the floor. */
const BULK_MAX = 10;

interface Run {
  calls: number;
  bulkCalls: number;
  singleCalls: number;
  sizes: number[];
  created: number;
  wallMs: number;
  p99Ms: number;
}

const isBulk = (c: CallRecord) => c.route === 'bulk' || c.route === 'org-bulk';
const isSingle = (c: CallRecord) => c.route === 'single' || c.route === 'org-single';
const upstreamCalls = (calls: readonly CallRecord[]) => calls.filter((c) => isBulk(c) || isSingle(c));
const itemsOf = (c: CallRecord) => (isBulk(c) ? (Array.isArray(c.body) ? c.body.length : 0) : 1);

/** The organization the organization rows invite into. */
const BENCH_ORG = 'org_bench';

async function fire(emulator: Emulator, target: ServerProcess, headers: Record<string, string>, n: number, tag: string, organizationId?: string): Promise<Run> {
  emulator.reset();
  if (organizationId) emulator.seedOrganization({ id: organizationId, name: 'Bench' });
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => invite(target.url, headers, [`${tag}-${i}@example.com`], organizationId)));
  const wallMs = performance.now() - started;
  const calls = upstreamCalls(emulator.calls);
  return {
    calls: calls.length,
    bulkCalls: calls.filter(isBulk).length,
    singleCalls: calls.filter(isSingle).length,
    sizes: calls.map(itemsOf).sort((a, b) => b - a),
    created: answers.reduce((sum, a) => sum + a.createdCount, 0),
    wallMs,
    p99Ms: quantile(answers.map((a) => a.ms).sort((a, b) => a - b), 0.99),
  };
}

/** The run with the median number of calls, so one unlucky scheduling hiccup does not set the headline. */
const medianRun = (runs: Run[]) => [...runs].sort((a, b) => a.calls - b.calls)[Math.floor(runs.length / 2)]!;

export async function runPacking({ quick, apiKey }: { quick: boolean; apiKey: BenchApiKey }): Promise<ScenarioOutput> {
  const repeats = quick ? 1 : 3;
  const emulator = await startEmulator({ port: 0, limits: RAISED_EMULATOR_LIMITS });
  const clerk = { url: emulator.url, secretKey: emulator.secretKeys[0]! };
  const servers: ServerProcess[] = [];
  try {
    const gateway = await startGateway(clerk, apiKey);
    servers.push(gateway);
    const naive = await startReference('naive', clerk);
    servers.push(naive);
    // The first request of each server pays for JIT and connection setup; keep that out of N = 1.
    for (const target of [gateway, naive]) await fire(emulator, target, apiKey.headers, 3, `warm-${target.url.split(':').at(-1)}`);
    const rows = [];
    for (const n of CONCURRENCY) {
      const measured: Record<'gateway' | 'naive', Run> = {} as never;
      for (const [name, target] of [['gateway', gateway], ['naive', naive]] as const) {
        const runs: Run[] = [];
        for (let r = 0; r < repeats; r++) runs.push(await fire(emulator, target, apiKey.headers, n, `pack-${name}-${n}-${r}`));
        measured[name] = medianRun(runs);
      }
      rows.push({ concurrency: n, minimumCalls: Math.ceil(n / BULK_MAX), ...measured });
    }
    // Organization invitations through the same lane code: one organization, one admin's API key.
    const orgRows: { n: number; run: Run }[] = [];
    for (const n of CONCURRENCY.filter((c) => c <= 100)) {
      const runs: Run[] = [];
      for (let r = 0; r < repeats; r++) runs.push(await fire(emulator, gateway, apiKey.headers, n, `pack-org-${n}-${r}`, BENCH_ORG));
      orgRows.push({ n, run: medianRun(runs) });
    }
    const short = rows.flatMap((r) =>
      (['gateway', 'naive'] as const).filter((side) => r[side].created !== r.concurrency).map((side) => `${side} N=${r.concurrency}: ${r[side].created} created`),
    );
    const data = {
      concurrency: rows.map((r) => ({
        n: r.concurrency,
        minimumCalls: r.minimumCalls,
        gateway: { ...r.gateway, sizes: sizeList(r.gateway.sizes), invitationsPerCall: round(r.concurrency / r.gateway.calls) },
        naive: { ...r.naive, sizes: sizeList(r.naive.sizes), invitationsPerCall: round(r.concurrency / r.naive.calls) },
      })),
      repeats,
      notAllCreated: short,
      organizations: orgRows.map(({ n, run }) => ({ n, minimumCalls: Math.ceil(n / BULK_MAX), ...run, sizes: sizeList(run.sizes), invitationsPerCall: round(n / run.calls) })),
    };
    return {
      key: 'packing',
      title: '1. Packing: concurrent single-invitation requests',
      intro:
        'N clients each send one `createInvitations` with one address at the same moment, over HTTP, to the gateway ' +
        '(`src/main.ts` in its own process, default 20 ms window, `auto` channels) and to a naive yoga server with the same ' +
        'schema whose resolver makes one `createInvitationBulk` per request. Limits of the emulator and of the gateway ' +
        `budget are raised so nothing is rate-limited. Median of ${repeats} run${repeats > 1 ? 's' : ''} by call count.`,
      tables: [
        {
          columns: ['N', 'floor ⌈N/10⌉', 'gateway calls', 'gateway inv/call', 'gateway batch sizes', 'naive calls', 'naive inv/call', 'calls saved', 'gateway p99 ms', 'naive p99 ms'],
          rows: data.concurrency.map((r) => [
            r.n,
            r.minimumCalls,
            `${r.gateway.calls} (${r.gateway.bulkCalls} bulk, ${r.gateway.singleCalls} single)`,
            r.gateway.invitationsPerCall,
            r.gateway.sizes,
            r.naive.calls,
            r.naive.invitationsPerCall,
            `${round(r.naive.calls / r.gateway.calls, 1)}×`,
            round(r.gateway.p99Ms, 0),
            round(r.naive.p99Ms, 0),
          ]),
        },
        {
          columns: ['N (organization invitations)', 'floor ⌈N/10⌉', 'gateway calls', 'gateway inv/call', 'gateway batch sizes', 'created'],
          rows: data.organizations.map((r) => [r.n, r.minimumCalls, `${r.calls} (${r.bulkCalls} bulk, ${r.singleCalls} single)`, r.invitationsPerCall, r.sizes, r.created]),
        },
      ],
      notes: [
        short.length === 0
          ? 'Every run created all N invitations on both sides (checked); "calls saved" is naive calls ÷ gateway calls.'
          : `Not every invitation was created: ${short.join('; ')}. "Calls saved" is naive calls ÷ gateway calls.`,
        'Below 4 items `auto` uses single creates (k items cost k/100 of the single hour vs 1/25 of the bulk hour), so a lone request costs one single call.',
        'The gateway p99 includes the batching window: a batch waits up to 20 ms for company unless it fills to 10 first.',
        'Organization invitations have their own allowance (50 bulk, 250 single an hour), so `auto` sends them in bulk from 5 items; they never share a call with another organization.',
      ],
      data,
    };
  } finally {
    for (const s of servers) await s.stop();
    await emulator.close();
  }
}
