import { loadConfig } from '../../src/config.ts';
import type { ClientCost, ClientCostRequest } from '../servers/clerk-client-cost.ts';
import type { EmulatorTally } from '../servers/emulator-host.ts';
import type { BenchApiKey } from '../support/auth.ts';
import { pinForLoadTest } from '../support/cpu.ts';
import type { ProbedServer } from '../support/probed-server.ts';
import { ask, forkWithIpc } from '../support/processes.ts';
import type { ScenarioOutput } from '../support/report.ts';
import { type ClerkTarget, invite } from '../support/targets.ts';
import { load, type LoadShape, type Slot, warmAndMeasure } from './overhead-load.ts';
import { overheadReport } from './overhead-report.ts';
import type { MemorySeen, OverheadSettings } from './overhead-types.ts';
import { diffTally, queryKeys, ROUND_UNITS, ROWS, type RowDef, type ServerKey, startServers } from './overhead-servers.ts';
import { measureStartupRss } from './startup-memory.ts';
import { buildReference } from '../support/reference-build.ts';

// Requests still in flight when a run's clock ran out reach Clerk a moment later; count them in that run.
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));


/** Spends the refusing gateway's whole budget, so every later item is answered RATE_LIMITED. */
async function spendBudget(server: ProbedServer, apiKey: BenchApiKey): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const answer = await invite(server.url, apiKey.headers, [`spend-${i}@example.com`]);
    if (answer.codes[0] === 'RATE_LIMITED') return;
  }
  throw new Error('the gateway with a spent budget still created invitations');
}

async function checkServers(servers: Record<ServerKey, ProbedServer>, apiKey: BenchApiKey, reader: BenchApiKey): Promise<boolean> {
  for (const row of ROWS) {
    const server = servers[row.server];
    if (row.workload === 'query') {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...reader.headers },
        body: JSON.stringify({ query: '{ invitations(first: 10) { edges { node { id } } } }' }),
      });
      const body = (await response.json()) as { data?: { invitations?: { edges: unknown[] } } };
      if (body.data?.invitations?.edges.length !== 10) throw new Error(`${row.label}: the invitations query did not answer a page of 10 (${JSON.stringify(body).slice(0, 300)})`);
    } else if (row.key === 'refused') {
      await spendBudget(server, apiKey);
    } else if (row.key === 'callerRefused') {
      await invite(server.url, apiKey.headers, ['spend-caller@example.com']);
      const refused = await invite(server.url, apiKey.headers, ['over-caller@example.com']);
      if (refused.status !== 429) throw new Error(`${row.label}: the second call was answered ${refused.status}, not 429`);
    } else {
      const check = await invite(server.url, apiKey.headers, [`check-${row.key}@example.com`]);
      if (check.createdCount !== 1) throw new Error(`${row.label}: a test invitation was not created (${check.codes.join(', ')})`);
    }
  }
  // Whether the gateway in this tree checks the key: a call without it must then be refused.
  return (await invite(servers.gateway.url, {}, ['no-key@example.com'])).status === 401;
}

/** Starts every server at once (on every core); each moves to the pinned core once all are ready. */
async function startAll(starters: Record<ServerKey, () => Promise<ProbedServer>>, started: Partial<Record<ServerKey, ProbedServer>>): Promise<Record<ServerKey, ProbedServer>> {
  const keys = Object.keys(starters) as ServerKey[];
  await Promise.all(keys.map(async (key) => (started[key] = await starters[key]())));
  return started as Record<ServerKey, ProbedServer>;
}

export async function runOverhead({ quick, apiKey }: { quick: boolean; apiKey: BenchApiKey }): Promise<ScenarioOutput> {
  // The default gateway runs with the default window (the bench blanks BATCH_WINDOW_MS).
  const batchWindowMs = loadConfig({}).batching.windowMs;
  const settings: OverheadSettings = quick
    ? { connections: 10, firstWarmSeconds: 0, warmSeconds: 0.5, measureSeconds: 0.5, rounds: 1, batchWindowMs }
    : { connections: 50, firstWarmSeconds: 5, warmSeconds: 2, measureSeconds: 3, rounds: 5, batchWindowMs };
  // 120 a minute each: 1,500 keys carry 180,000 queries a minute, over twice what the query row sends in
  // any minute at 7,500 a second; GATEWAY_API_KEYS then stays near 105 KB, under Linux's 128 KB for one
  // environment string.
  const readers = queryKeys(quick ? 50 : 1_500);
  const pinning = pinForLoadTest();
  const started: Partial<Record<ServerKey, ProbedServer>> = {};
  let host: Awaited<ReturnType<typeof forkWithIpc<ClerkTarget>>> | undefined;
  let client: Awaited<ReturnType<typeof forkWithIpc<{ ready: true }>>> | undefined;
  const slots: Record<string, Slot[]> = Object.fromEntries(ROWS.map((row) => [row.key, []]));
  // For each row that follows a run of plain yoga like for like in its unit, that run, round by round.
  const baselines: Record<string, Slot[]> = {};
  const clientCosts: ClientCost[] = [];
  const memory: Partial<Record<ServerKey, MemorySeen>> = {};
  try {
    host = await forkWithIpc<ClerkTarget>('bench/servers/emulator-host.ts');
    const clerk = host.ready;
    // Before anything is measured: the build and the start-ups must not overlap the rounds.
    const startup = await measureStartupRss({ quick, clerk, apiKey });
    if (startup.built) await buildReference();
    const servers = await startAll(startServers(clerk, apiKey, readers, startup.built), started);
    client = await forkWithIpc<{ ready: true }>('bench/servers/clerk-client-cost.ts');
    for (const server of Object.values(servers)) pinning.pinServer(server.child.pid);
    pinning.pinServer(client.child.pid);
    for (const [key, server] of Object.entries(servers)) {
      const ready = await server.probe();
      memory[key as ServerKey] = { ready, peakRss: ready.rss };
    }
    const authEnforced = await checkServers(servers, apiKey, readers[0]!);
    const costRequest: ClientCostRequest = { clerk, calls: quick ? 20 : 300, concurrency: 5, itemsPerCall: 10 };
    // Each row's workload once before any round: without it the first round of every row cost about
    // twice the later ones and moved a row's median by up to 25% between runs.
    if (settings.firstWarmSeconds > 0) {
      for (const row of ROWS) {
        const headers = row.workload === 'query' ? readers.map((k) => k.headers) : [apiKey.headers];
        await load(servers[row.server].url, { connections: settings.connections, workload: row.workload, headers, tag: `first-${row.key}`, status: row.status }, settings.firstWarmSeconds);
      }
    }
    const emulator = host.child;
    const measure = async (row: RowDef, r: number): Promise<Slot> => {
      const shape: LoadShape = {
        connections: settings.connections,
        workload: row.workload,
        headers: row.workload === 'query' ? readers.map((k) => k.headers) : [apiKey.headers],
        tag: `r${r}-${row.key}`,
        status: row.status,
      };
      let before: EmulatorTally | undefined;
      // Clerk calls are counted over the measured run only, not its warm-up.
      const beforeMeasure = row.talksToClerk ? async () => void (before = await ask<EmulatorTally>(emulator, 'tally')) : undefined;
      const { slot, after } = await warmAndMeasure(servers[row.server], shape, { ...settings, beforeMeasure });
      const seen = memory[row.server]!;
      // Right after the server's last measured run, before it idles while the others are measured.
      seen.after = after;
      seen.peakRss = Math.max(seen.peakRss, after.rss);
      if (before) {
        await settle();
        slot.upstream = diffTally(before, await ask<EmulatorTally>(emulator, 'tally'));
      }
      return slot;
    };
    // Rounds interleave the units and start one later each time, so a slow spell of the machine lands on none of them alone.
    for (let r = 0; r < settings.rounds; r++) {
      for (let j = 0; j < ROUND_UNITS.length; j++) {
        let baseline: Slot | undefined;
        for (const key of ROUND_UNITS[(j + r) % ROUND_UNITS.length]!) {
          const slot = await measure(ROWS.find((row) => row.key === key)!, r);
          slots[key]!.push(slot);
          if (key === 'plainLike') baseline = slot;
          else if (baseline) (baselines[key] ??= []).push(baseline);
        }
      }
      clientCosts.push(await ask<ClientCost>(client.child, costRequest));
    }
    for (const [key, server] of Object.entries(servers)) memory[key as ServerKey]!.collected = await server.probeAfterGc();
    const stillRefused = await invite(servers.refused.url, apiKey.headers, ['after@example.com']);
    return overheadReport({ settings, slots, baselines, clientCosts, memory: memory as Required<typeof memory>, startup, authEnforced, pinning: pinning.description, refusedCode: stillRefused.codes[0]!, readerKeys: readers.length });
  } finally {
    for (const server of Object.values(started)) await server.stop();
    await client?.stop();
    await host?.stop();
    pinning.release();
  }
}
