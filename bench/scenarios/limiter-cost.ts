import { randomUUID } from 'node:crypto';
import type { CallerLimitStore } from '../../src/limiter/index.ts';
import { redisReachable } from '../../test/support/redis.ts';
import { settledHeap } from '../support/heap.ts';
import type { Cell, ScenarioOutput } from '../support/report.ts';
import { mean, quantile, round } from '../support/stats.ts';
import {
  deleteUnder,
  HIT,
  identity,
  type LimiterSubject,
  ourMemory,
  ourRedis,
  redisUsedMemory,
  theirMemory,
  theirRedis,
} from './limiter-stores.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MB = 1024 * 1024;
const us = (value: number) => round(value, value < 10 ? 2 : 0);

interface Sampling {
  maxChecks: number;
  budgetMs: number;
}

/** A store whose check grows with the number of callers gets a time budget instead of a fixed count. */
const SLOW_SUBJECT = 'graphql-rate-limit InMemoryStore';
/** A size is skipped when three checks alone would take longer than this. */
const SKIP_AFTER_MS = 20_000;

interface Measured {
  callers: number;
  checks: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  heapMB: number;
  redisMB: number | null;
  prefillS: number;
}

type Row = Measured | { callers: number; skipped: string };

/** Checks against callers already in the store, in a fixed pseudo-random order. */
async function sample(store: CallerLimitStore, callers: number, { maxChecks, budgetMs }: Sampling): Promise<number[]> {
  let seed = 12345;
  const times: number[] = [];
  const started = performance.now();
  while (times.length < maxChecks && (times.length === 0 || performance.now() - started < budgetMs)) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const who = identity(seed % callers);
    const t = performance.now();
    await store.hit(who, HIT);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}

async function measureSubject(make: () => LimiterSubject, sizes: number[], sampling: (name: string) => Sampling): Promise<{ name: string; rows: Row[] }> {
  const heapBefore = settledHeap();
  const subject = make();
  const redisBefore = subject.redis ? await redisUsedMemory(REDIS_URL) : 0;
  const rows: Row[] = [];
  let filled = 0;
  let lastPerCheckMs: number | undefined;
  try {
    for (const callers of sizes) {
      const projectedMs = lastPerCheckMs === undefined ? 0 : lastPerCheckMs * (callers / filled) * 3;
      if (subject.name === SLOW_SUBJECT && projectedMs > SKIP_AFTER_MS) {
        const each = (projectedMs / 3 / 1000).toFixed(1);
        rows.push({ callers, skipped: `skipped: each check copies the whole state, projected ≈${each} s per check, past the scenario's minute` });
        continue;
      }
      const t0 = performance.now();
      await subject.prefill(filled, callers);
      const prefillS = (performance.now() - t0) / 1000;
      filled = callers;
      const heapMB = (settledHeap() - heapBefore) / MB;
      const redisMB = subject.redis ? ((await redisUsedMemory(REDIS_URL)) - redisBefore) / MB : null;
      // The first checks load the Lua script and warm the JIT; they would otherwise set the p99.
      if (lastPerCheckMs === undefined) await sample(subject.store, callers, { maxChecks: 200, budgetMs: 200 });
      const times = await sample(subject.store, callers, sampling(subject.name));
      lastPerCheckMs = mean(times);
      rows.push({ callers, checks: times.length, meanUs: mean(times) * 1000, p50Us: quantile(times, 0.5) * 1000, p99Us: quantile(times, 0.99) * 1000, heapMB, redisMB, prefillS });
    }
  } finally {
    await subject.close();
  }
  return { name: subject.name, rows };
}

export async function runLimiterCost({ quick }: { quick: boolean }): Promise<ScenarioOutput> {
  const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000, 1_000_000];
  const sampling = (name: string): Sampling =>
    name === SLOW_SUBJECT ? { maxChecks: 200, budgetMs: quick ? 500 : 3_000 } : { maxChecks: quick ? 1_000 : 5_000, budgetMs: quick ? 300 : 1_500 };
  const prefix = `cig:bench:${randomUUID().slice(0, 8)}:`;
  const redisUp = await redisReachable('limiter benchmark', REDIS_URL);
  const subjects: (() => LimiterSubject)[] = [
    () => ourMemory(sizes.at(-1)!),
    () => ourRedis(REDIS_URL, prefix),
    () => theirMemory(),
    () => theirRedis(REDIS_URL, prefix),
  ];
  const results: { name: string; rows: Row[] }[] = [];
  let deleted = 0;
  try {
    for (const make of subjects) {
      const probe = make();
      if (probe.redis && !redisUp) {
        await probe.close();
        results.push({ name: probe.name, rows: sizes.map((callers) => ({ callers, skipped: `skipped: Redis at ${REDIS_URL} is unreachable` })) });
        continue;
      }
      await probe.close();
      results.push(await measureSubject(make, sizes, sampling));
    }
  } finally {
    if (redisUp) deleted = await deleteUnder(REDIS_URL, prefix);
  }
  const rows: Cell[][] = results.flatMap(({ name, rows: measured }) =>
    measured.map((r) =>
      'skipped' in r
        ? [name, r.callers, null, null, null, null, null, null, r.skipped]
        : [name, r.callers, us(r.meanUs), us(r.p50Us), us(r.p99Us), r.checks, round(r.heapMB, 1), r.redisMB === null ? null : round(r.redisMB, 1), `prefill ${r.prefillS.toFixed(1)} s`],
    ),
  );
  return {
    key: 'limiter',
    title: '4. Caller limiter: cost per check and memory',
    intro:
      'One `hit` (check and record one unit of `createInvitations`, max 100 per 1 h) against a store already holding N ' +
      'distinct callers, awaited one at a time, on callers picked pseudo-randomly from those N. graphql-rate-limit\'s ' +
      'stores run behind `fromGraphQLRateLimitStore` (their get, filter, set). Redis is local (`' + REDIS_URL + '`), so ' +
      'its times are mostly the loopback round trip. Memory: heapUsed after a forced GC, minus before the store existed; ' +
      'for Redis stores also Redis `used_memory`.',
    tables: [{ columns: ['store', 'callers', 'mean µs/check', 'p50 µs', 'p99 µs', 'checks timed', 'heapUsed Δ MB', 'Redis Δ MB', 'note'], rows }],
    notes: [
      'Prefill: our memory store through its API; our Redis store and graphql-rate-limit\'s RedisStore by Redis-side loops (20k keys per script) writing the exact keys and TTLs one check leaves; graphql-rate-limit\'s InMemoryStore by building its state object directly (through its API each new caller copies the whole state, hours at 100k).',
      `graphql-rate-limit's InMemoryStore gets a time budget (${quick ? 0.5 : 3} s, at most 200 checks) per size instead of a count; a size is skipped when three checks are projected past ${SKIP_AFTER_MS / 1000} s.`,
      `MemoryCallerLimitStore's maxKeys was raised to ${sizes.at(-1)!.toLocaleString('en-US')} so every caller stays counted; by default it holds 100,000 and evicts the log nearest expiry.`,
      `Redis keys were written under a per-run prefix (${prefix}*) and deleted afterwards (${deleted.toLocaleString('en-US')} keys).`,
    ],
    data: { sizes, redisUrl: REDIS_URL, stores: results },
  };
}
