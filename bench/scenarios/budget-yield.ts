import type { ChannelPolicy } from '../../src/batcher/channel-policy.ts';
import { configuredBatchWindowCapMs } from '../../src/config-warnings.ts';
import { loadConfig } from '../../src/config.ts';
import { startEmulator } from '../../src/emulator/index.ts';
import type { Cell, ScenarioOutput } from '../support/report.ts';
import { HOUR_MS, SimClock } from '../support/sim-clock.ts';
import { mean, round } from '../support/stats.ts';
import { CLERK_LIMITS, CLERK_ORG_LIMITS, type SimResult, type SimSetup, simulateGateway, simulateNaive } from './budget-sim.ts';

/** 25 bulk calls of 10 plus 100 single creates. */
const CEILING = CLERK_LIMITS.bulkPerHour * 10 + CLERK_LIMITS.singlePerHour;
/** Organization invitations: 50 bulk calls of 10 and 250 singles an hour. */
const ORG_CEILING = CLERK_ORG_LIMITS.bulkPerHour * 10 + CLERK_ORG_LIMITS.singlePerHour;
/** Offered load, well above the ceiling, so the numbers show what each policy can get out of an hour. */
const OFFERED_PER_HOUR = 1_000;

interface Pattern {
  name: string;
  description: string;
  arrivals: (hours: number) => number[];
  retry: boolean;
}

const trickle = (hours: number) => Array.from({ length: OFFERED_PER_HOUR * hours }, (_, i) => (i * HOUR_MS) / OFFERED_PER_HOUR);
const BURST = 100;
const bursts = (hours: number) =>
  Array.from({ length: OFFERED_PER_HOUR * hours }, (_, i) => Math.floor(i / BURST) * ((BURST * HOUR_MS) / OFFERED_PER_HOUR));

const PATTERNS: Pattern[] = [
  { name: 'trickle', description: `1 request every ${HOUR_MS / OFFERED_PER_HOUR / 1000} s`, arrivals: trickle, retry: false },
  { name: 'bursts', description: `${BURST} requests at once every ${(BURST * 60) / OFFERED_PER_HOUR} min`, arrivals: bursts, retry: false },
  { name: 'trickle + retry', description: 'the trickle, callers resending RATE_LIMITED items after retryAfterSeconds', arrivals: trickle, retry: true },
];

const POLICIES: { name: string; policy: ChannelPolicy | 'naive' }[] = [
  { name: 'gateway auto', policy: 'auto' },
  { name: 'gateway bulk-only', policy: 'bulk' },
  { name: 'gateway single-only', policy: 'single' },
  { name: 'naive: one bulk call per request', policy: 'naive' },
];

/** The first hour starts with a whole allowance; later hours show the sliding window's steady state. */
const steady = (perHour: number[]) => (perHour.length > 1 ? mean(perHour.slice(1)) : perHour[0]!);

type Measured = SimResult & { deliveredPerHourSteady: number; percentOfCeiling: number };
type PatternData = Record<string, Record<string, Measured | { skipped: string }>>;

/** Invitations per bulk call, counting every single create as one delivered invitation. */
const perBulkCall = (r: Measured) => round((r.deliveredPerHourSteady - steady(r.singleCallsPerHour)) / Math.max(1, steady(r.bulkCallsPerHour)), 1);

/** Notes that follow the numbers of this run rather than a past one. */
function explain(data: PatternData, windowMaxMs: number): string[] {
  const get = (pattern: string, policy: string) => data[pattern]?.[policy] as Measured | undefined;
  const notes: string[] = [];
  const trickleAuto = get('trickle', 'gateway auto');
  if (trickleAuto) {
    notes.push(
      `A trickle (one request per 3.6 s) gives the window, at most ${windowMaxMs} ms as the bulk allowance runs out, little to pack: ` +
        `auto delivers ${round(trickleAuto.deliveredPerHourSteady, 0)} an hour, its bulk calls carrying ${perBulkCall(trickleAuto)} invitations each.`,
    );
  }
  const retryAuto = get('trickle + retry', 'gateway auto');
  const retryBulk = get('trickle + retry', 'gateway bulk-only');
  if (retryAuto && retryBulk && retryAuto.deliveredPerHourSteady < retryBulk.deliveredPerHourSteady) {
    notes.push(
      `With callers retrying, bulk-only packs the returning items into full calls (${round(retryBulk.deliveredPerHourSteady, 0)}/hour) but auto reaches only ` +
        `${round(retryAuto.deliveredPerHourSteady, 0)}, its bulk calls carrying ${perBulkCall(retryAuto)} each: a new request finds the singles spent and falls back ` +
        'to a bulk call with only what its window gathered, taking each bulk slot as it frees, while the retried items (whose Retry-After follows the single channel) arrive after it.',
    );
  }
  return notes;
}

export async function runBudgetYield({ quick }: { quick: boolean }): Promise<ScenarioOutput> {
  const hours = quick ? 1 : 3;
  const config = loadConfig({});
  // The same window the gateway uses: its cap leaves an item time for its call and one more.
  const batchWindowMs = config.batching.windowMs;
  const batchWindowMaxMs = configuredBatchWindowCapMs(config);
  let clock = new SimClock(Date.UTC(2030, 0, 1));
  const emulator = await startEmulator({ port: 0, limits: CLERK_LIMITS, now: () => clock.now() });
  const rows: Cell[][] = [];
  const orgRows: Cell[][] = [];
  const orgData: Record<string, Measured> = {};
  const data: PatternData = {};
  try {
    for (const pattern of PATTERNS) {
      data[pattern.name] = {};
      for (const { name, policy } of POLICIES) {
        if (policy === 'naive' && pattern.retry) {
          const skipped =
            'not run: Clerk answers every waiting caller the same Retry-After, so each freed call meets the whole backlog ' +
            '(≈1,000 more 429s per freed call by hour 2), tens of thousands of calls per simulated hour';
          data[pattern.name]![name] = { skipped };
          rows.push([pattern.name, name, null, null, null, null, null, 'skipped (see notes)']);
          continue;
        }
        clock = new SimClock(clock.now() + HOUR_MS);
        const setup: SimSetup = { emulator, clock, arrivals: pattern.arrivals(hours), hours, retry: pattern.retry, windowMs: batchWindowMs, windowMaxMs: batchWindowMaxMs };
        const result = policy === 'naive' ? await simulateNaive(setup) : await simulateGateway(policy, setup);
        const delivered = steady(result.deliveredPerHour);
        data[pattern.name]![name] = { ...result, deliveredPerHourSteady: delivered, percentOfCeiling: round((100 * delivered) / CEILING, 1) };
        rows.push([
          pattern.name,
          name,
          round(delivered, 1),
          `${round((100 * delivered) / CEILING, 0)}%`,
          round(steady(result.bulkCallsPerHour), 1),
          round(steady(result.singleCallsPerHour), 1),
          result.tooManyRequests,
          pattern.retry ? `${result.backlog.toLocaleString('en-US')} still waiting` : `${result.turnedAway.toLocaleString('en-US')} turned away`,
        ]);
      }
    }
    // Organization invitations: the same lane code over Clerk's organization endpoints and allowance.
    for (const pattern of PATTERNS.filter((p) => !p.retry)) {
      clock = new SimClock(clock.now() + HOUR_MS);
      const setup: SimSetup = { emulator, clock, arrivals: pattern.arrivals(hours), hours, retry: false, windowMs: batchWindowMs, windowMaxMs: batchWindowMaxMs, organizationId: 'org_bench' };
      const result = await simulateGateway('auto', setup);
      const delivered = steady(result.deliveredPerHour);
      orgData[pattern.name] = { ...result, deliveredPerHourSteady: delivered, percentOfCeiling: round((100 * delivered) / ORG_CEILING, 1) };
      orgRows.push([
        pattern.name,
        round(delivered, 1),
        `${round((100 * delivered) / ORG_CEILING, 0)}%`,
        round(steady(result.bulkCallsPerHour), 1),
        round(steady(result.singleCallsPerHour), 1),
        result.tooManyRequests,
      ]);
    }
  } finally {
    await emulator.close();
  }
  const measured = hours > 1 ? `hours 2–${hours} of ${hours} (the first hour starts with a whole allowance)` : 'the one simulated hour';
  return {
    key: 'budgetYield',
    title: '2. Budget yield per simulated hour',
    intro:
      `Invitations delivered per hour against Clerk's real limits (25 bulk + 100 single calls an hour, ceiling ${CEILING}), ` +
      `with ${OFFERED_PER_HOUR.toLocaleString('en-US')} one-invitation requests offered per hour. Simulated clock shared by the ` +
      'emulator (limits 25/100), MemoryBudget and the real BatchDispatcher + ClerkUpstream; the batching window ' +
      `(${batchWindowMs}–${batchWindowMaxMs} ms by scarcity) is modelled on the same clock. Averages over ${measured}.`,
    tables: [
      {
        columns: ['load', 'policy', 'delivered/hour', '% of 350', 'bulk calls/hour', 'single calls/hour', '429s seen', 'not delivered'],
        rows,
      },
      {
        columns: ['load (organization invitations, gateway auto)', 'delivered/hour', `% of ${ORG_CEILING}`, 'bulk calls/hour', 'single calls/hour', '429s seen'],
        rows: orgRows,
      },
    ],
    notes: [
      ...PATTERNS.map((p) => `**${p.name}**: ${p.description}.`),
      ...explain(data, batchWindowMaxMs),
      'The gateway policies see zero 429s because the budget keeps each spend an hour plus a 10 s margin, never looser than Clerk; the naive resolver has no budget and learns the limit from 429s.',
      'The naive row with retries is not run: every waiting caller gets the same Retry-After, so each freed call meets the whole backlog and the 429 count grows with it.',
    ],
    data: { ceiling: CEILING, offeredPerHour: OFFERED_PER_HOUR, hours, patterns: data, organizations: { ceiling: ORG_CEILING, patterns: orgData } },
  };
}
