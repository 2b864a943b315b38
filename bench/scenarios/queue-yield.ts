import { print } from 'graphql';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { SubmitInvitationsDocument } from '../../client/generated/graphql.js';
import type { CallRecord } from '../../src/emulator/index.ts';
import { startStack, type Stack } from '../../test/support/stack.ts';
import type { Cell, ScenarioOutput } from '../support/report.ts';
import { mean, round, sizeList } from '../support/stats.ts';
import { RAISED_EMULATOR_LIMITS } from '../support/targets.ts';
import { loadConfig } from '../../src/config.ts';
import { CLERK_LIMITS } from './budget-sim.ts';

/**
 * The queue's yield measured, not simulated: the real gateway app (createApp, served in process through
 * yoga.fetch) with its in-memory queue and with its Redis queue, against the emulator with Clerk's real
 * allowance (25 bulk + 100 single) over a time-scaled window (UPSTREAM_BUDGET_WINDOW and the emulator's
 * window alike), so "an hour" passes in seconds on the wall clock. The hour's 1,000 arrivals are scaled
 * into the window and offered as `submitInvitations` of one address each.
 */
const CEILING = CLERK_LIMITS.bulkPerHour * 10 + CLERK_LIMITS.singlePerHour;
const OFFERED_PER_WINDOW = 1_000;
const BURST = 100;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SUBMIT = print(SubmitInvitationsDocument);

type StoreName = 'memory' | 'redis';
const STORES: { name: StoreName; label: string }[] = [
  { name: 'memory', label: 'queue, in memory' },
  { name: 'redis', label: 'queue, Redis + BullMQ' },
];

interface Pattern {
  name: string;
  description: (windowMs: number) => string;
  /** Offsets (ms from the start) of one-address submissions. */
  arrivals: (windows: number, windowMs: number) => number[];
}

const PATTERNS: Pattern[] = [
  {
    name: 'trickle',
    description: (w) => `1 submission every ${w / OFFERED_PER_WINDOW} ms (the hour's one per 3.6 s, scaled)`,
    arrivals: (n, w) => Array.from({ length: OFFERED_PER_WINDOW * n }, (_, i) => (i * w) / OFFERED_PER_WINDOW),
  },
  {
    name: 'bursts',
    description: (w) => `${BURST} submissions at once every ${(BURST * w) / OFFERED_PER_WINDOW} ms (the hour's every 6 min, scaled)`,
    arrivals: (n, w) => Array.from({ length: OFFERED_PER_WINDOW * n }, (_, i) => Math.floor(i / BURST) * ((BURST * w) / OFFERED_PER_WINDOW)),
  },
];

interface WindowTally {
  created: number;
  bulkCalls: number;
  singleCalls: number;
  itemsPerBulkCall: number;
  percentOfCeiling: number;
  /** Seconds into the window of its last bulk and its last single call: how far the spends drift. */
  lastBulkAtS: number | null;
  lastSingleAtS: number | null;
}

interface QueueRun {
  store: StoreName;
  offered: number;
  submitErrors: number;
  firstSubmitError?: string;
  windows: WindowTally[];
  tooManyRequests: number;
  /** Each 429: its route and when it arrived (s from the start). */
  refused: { route: string | null; atS: number }[];
  /** Invitations the emulator stored by the end. */
  created: number;
  steady: { created: number; percentOfCeiling: number; bulkCalls: number; singleCalls: number; itemsPerBulkCall: number };
}

/** BATCH_WINDOW_MAX_MS is left unset: its default scales with the budget window (28 ms of 10 s). */
const scaledWindowCapMs = (windowMs: number) => loadConfig({ UPSTREAM_BUDGET_WINDOW: `${windowMs / 1000}s` }).batching.windowMaxMs;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ok = (c: CallRecord) => c.status !== null && c.status >= 200 && c.status < 300;
const itemsOf = (c: CallRecord) => (c.route === 'bulk' ? (Array.isArray(c.body) ? c.body.length : 0) : 1);

function startGateway(store: StoreName, env: Record<string, string>, emulatorLimits: Record<string, number>): Promise<Stack> {
  return startStack({
    env: { ...env, ...(store === 'redis' ? { REDIS_URL } : {}) },
    emulator: { limits: emulatorLimits },
  });
}

/** The run's Redis keys (budget, jobs, BullMQ) are all named by a hash of its emulator's fresh secret key. */
async function dropRedisKeys(secretKey: string): Promise<number> {
  const instance = createHash('sha256').update(secretKey).digest('hex').slice(0, 16);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let dropped = 0;
  try {
    for await (const keys of redis.scanStream({ match: `*${instance}*`, count: 1_000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) dropped += await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
  return dropped;
}

/** Sends each submission at its offset from `start`, without waiting for earlier answers. */
async function offer(stack: Stack, arrivals: number[], start: number, tag: string): Promise<{ errors: number; firstError?: string }> {
  let errors = 0;
  let firstError: string | undefined;
  const answers: Promise<void>[] = [];
  const submit = (i: number) =>
    stack.request(SUBMIT, { invitations: [{ emailAddress: `${tag}-${i}@example.com` }] }).then(
      ({ body }) => {
        if (body.data?.submitInvitations) return;
        errors++;
        firstError ??= body.errors?.[0]?.message ?? 'no data';
      },
      (err: unknown) => {
        errors++;
        firstError ??= String(err);
      },
    );
  let i = 0;
  while (i < arrivals.length) {
    const now = Date.now() - start;
    while (i < arrivals.length && arrivals[i]! <= now) answers.push(submit(i++));
    if (i < arrivals.length) await sleep(Math.max(1, arrivals[i]! - (Date.now() - start)));
  }
  await Promise.all(answers);
  return { errors, firstError };
}

function tally(calls: readonly CallRecord[], start: number, windows: number, windowMs: number): WindowTally[] {
  return Array.from({ length: windows }, (_, w) => {
    const inWindow = calls.filter((c) => ok(c) && c.time >= start + w * windowMs && c.time < start + (w + 1) * windowMs);
    const bulk = inWindow.filter((c) => c.route === 'bulk');
    const single = inWindow.filter((c) => c.route === 'single');
    const created = [...bulk, ...single].reduce((sum, c) => sum + itemsOf(c), 0);
    const bulkItems = bulk.reduce((sum, c) => sum + itemsOf(c), 0);
    return {
      created,
      bulkCalls: bulk.length,
      singleCalls: single.length,
      itemsPerBulkCall: round(bulkItems / Math.max(1, bulk.length), 2),
      percentOfCeiling: round((100 * created) / CEILING, 1),
      lastBulkAtS: bulk.length ? round((bulk.at(-1)!.time - start - w * windowMs) / 1000, 2) : null,
      lastSingleAtS: single.length ? round((single.at(-1)!.time - start - w * windowMs) / 1000, 2) : null,
    };
  });
}

async function measureQueue(store: StoreName, pattern: Pattern, windows: number, windowMs: number): Promise<QueueRun> {
  const stack = await startGateway(
    store,
    {
      UPSTREAM_BUDGET_WINDOW: `${windowMs / 1000}s`,
      UPSTREAM_BULK_PER_HOUR: String(CLERK_LIMITS.bulkPerHour),
      UPSTREAM_SINGLE_PER_HOUR: String(CLERK_LIMITS.singlePerHour),
    },
    { ...CLERK_LIMITS, windowMs },
  );
  try {
    const arrivals = pattern.arrivals(windows, windowMs);
    const start = Date.now();
    const submitted = await offer(stack, arrivals, start, `q-${store}-${pattern.name}`);
    // Measure whole windows: the last submissions are offered just before the last window ends.
    await sleep(Math.max(0, start + windows * windowMs - Date.now()));
    const calls = [...stack.emulator.calls];
    const perWindow = tally(calls, start, windows, windowMs);
    // The first window starts with a whole allowance; later ones show the sliding window's steady state.
    const steadyWindows = perWindow.length > 1 ? perWindow.slice(1) : perWindow;
    const steadyOf = (k: 'bulkCalls' | 'singleCalls' | 'created') => round(mean(steadyWindows.map((t) => t[k])), 2);
    const bulkCalls = steadyOf('bulkCalls');
    const singleCalls = steadyOf('singleCalls');
    const created = steadyOf('created');
    return {
      store,
      offered: arrivals.length,
      submitErrors: submitted.errors,
      firstSubmitError: submitted.firstError,
      windows: perWindow,
      tooManyRequests: calls.filter((c) => c.status === 429).length,
      refused: calls.filter((c) => c.status === 429).map((c) => ({ route: c.route, atS: round((c.time - start) / 1000, 2) })),
      created: stack.emulator.invitations().length,
      steady: { created, percentOfCeiling: round((100 * created) / CEILING, 1), bulkCalls, singleCalls, itemsPerBulkCall: round((created - singleCalls) / Math.max(1, bulkCalls), 2) },
    };
  } finally {
    await stack.close();
    if (store === 'redis') await dropRedisKeys(stack.secretKey);
  }
}

/** 100 concurrent one-address createInvitations on the synchronous path: how many Clerk calls they make. */
async function measurePacking(store: StoreName) {
  const raised = { UPSTREAM_BULK_PER_HOUR: '2500000', UPSTREAM_SINGLE_PER_HOUR: '10000000' };
  const stack = await startGateway(store, raised, RAISED_EMULATOR_LIMITS);
  try {
    // The first request pays for JIT and connections; keep it out of the burst.
    await stack.invite(['warm@example.com']);
    stack.emulator.reset();
    const answers = await Promise.all(Array.from({ length: BURST }, (_, i) => stack.invite([`pack-${store}-${i}@example.com`])));
    const calls = stack.emulator.calls.filter((c) => c.route === 'bulk' || c.route === 'single');
    return {
      store,
      n: BURST,
      created: answers.reduce((sum, a) => sum + a.createdCount, 0),
      bulkCalls: calls.filter((c) => c.route === 'bulk').length,
      singleCalls: calls.filter((c) => c.route === 'single').length,
      sizes: sizeList(calls.map(itemsOf).sort((a, b) => b - a)),
    };
  } finally {
    await stack.close();
    if (store === 'redis') await dropRedisKeys(stack.secretKey);
  }
}

async function redisUp(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export async function runQueueYield({ quick }: { quick: boolean }): Promise<ScenarioOutput> {
  const windows = quick ? 1 : 3;
  const windowMs = quick ? 4_000 : 10_000;
  // The smoke run keeps to the memory queue: on a busy machine a fresh Redis replica's first seconds
  // (BullMQ's worker, the Redis caller limiter failing closed) say nothing about its yield.
  const stores = !quick && (await redisUp()) ? STORES : STORES.filter((s) => s.name === 'memory');
  const runs: Record<string, QueueRun[]> = {};
  const rows: Cell[][] = [];
  for (const pattern of PATTERNS) {
    // The stores run side by side (each its own emulator, Clerk key and budget), so the scenario takes
    // one pattern's windows, not one per store.
    runs[pattern.name] = await Promise.all(stores.map((s) => measureQueue(s.name, pattern, windows, windowMs)));
    for (const run of runs[pattern.name]!) {
      rows.push([
        pattern.name,
        STORES.find((s) => s.name === run.store)!.label,
        run.steady.created,
        `${round(run.steady.percentOfCeiling, 1)}%`,
        run.steady.bulkCalls,
        run.steady.singleCalls,
        run.steady.itemsPerBulkCall,
        run.windows.map((w) => `${w.created} (${w.bulkCalls}b×${w.itemsPerBulkCall} + ${w.singleCalls}s)`).join(', '),
        run.tooManyRequests,
        `${(run.offered - run.created).toLocaleString('en-US')} still queued${run.submitErrors ? `, ${run.submitErrors} submits failed` : ''}`,
      ]);
    }
  }
  const packing = [];
  for (const s of stores) packing.push(await measurePacking(s.name));
  const measured = windows > 1 ? `windows 2–${windows} of ${windows} (the first starts with a whole allowance)` : 'the one window';
  const skipped = stores.length < STORES.length ? [quick ? 'The Redis rows are not run in the smoke run.' : `The Redis rows were not run: no Redis answered at ${REDIS_URL}.`] : [];
  return {
    key: 'queueYield',
    title: '2b. Budget yield of the queue, measured on a time-scaled window',
    intro:
      `The real gateway app (createApp, in process) with its in-memory queue and with its Redis queue (BullMQ), against the emulator with Clerk's ` +
      `allowance (25 bulk + 100 single per window, ceiling ${CEILING}) on a ${windowMs / 1000} s window: UPSTREAM_BUDGET_WINDOW=${windowMs / 1000}s ` +
      `and the emulator's window the same, so one window stands for the hour; BATCH_WINDOW_MAX_MS, left unset, scales alike (${scaledWindowCapMs(windowMs)} ms). ` +
      `${OFFERED_PER_WINDOW.toLocaleString('en-US')} one-address ` +
      `\`submitInvitations\` are offered per window, for ${windows} window${windows > 1 ? 's' : ''}; calls and invitations are counted at the emulator ` +
      `by the window they arrived in. The two stores run side by side, each with its own emulator and Clerk key. Averages over ${measured}.`,
    tables: [
      {
        columns: ['load', 'policy', 'delivered/window', '% of 350', 'bulk calls/window', 'single calls/window', 'inv/bulk call', 'per window: created (bulk×size + single)', '429s seen', 'not delivered'],
        rows,
      },
      {
        columns: ['packing: 100 concurrent one-address createInvitations', 'created', 'bulk calls', 'single calls', 'batch sizes'],
        rows: packing.map((p) => [p.store === 'memory' ? 'gateway, memory budget' : 'gateway, Redis budget', p.created, p.bulkCalls, p.singleCalls, p.sizes]),
      },
    ],
    notes: [
      ...PATTERNS.map((p) => `**${p.name}**: ${p.description(windowMs)}.`),
      'Compare the synchronous path in section 2: 175 an hour (50%) under the trickle, because a request cannot wait for nine others; queued items wait as long as they must, so the feeder sends full bulk calls while the bulk allowance lasts and single creates with the rest.',
      `The budget keeps each spend the window plus a scaled margin (${windowMs / 1000} s + 100 ms here), never looser than the emulator, so the last spends of a window free up a little after the next one begins.`,
      'Packing: the same gateway app with raised limits; a burst of N synchronous one-address requests makes ⌈N/10⌉ bulk calls because a batch stays open while items keep arriving.',
      ...skipped,
    ],
    data: { ceiling: CEILING, offeredPerWindow: OFFERED_PER_WINDOW, windowMs, windows, patterns: runs, packing },
  };
}
