import { setTimeout as delay } from 'node:timers/promises';
import type { Estimate } from './eta.ts';
import type { JobCall, JobResultItem, JobSnapshot, QueueClient, ResultsPage } from './queue-client.ts';
import type { Progress, Reporter, StopKind } from './run-invites.ts';

export interface FollowOptions {
  client: QueueClient;
  jobIds: readonly string[];
  reporter: Reporter;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Between polls once the progress stream is gone. */
  pollMs?: number;
  /** Polls in a row that may fail before the gateway counts as unreachable. */
  maxFailures?: number;
  /** Stop following (Ctrl-C); the jobs go on in the gateway. */
  stopSignal?: AbortSignal;
}

export interface FollowReport {
  /** Every item of every finished job, by job id, in item order. */
  results: Map<string, JobResultItem[]>;
  /** Last snapshot of each job. */
  jobs: Map<string, JobSnapshot>;
  stoppedBecause?: string;
  stopKind?: StopKind;
}

const FINAL = new Set(['DONE', 'CANCELLED']);
const realSleep = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }).catch(() => undefined);

class Stop extends Error {
  constructor(
    readonly kind: StopKind,
    message: string,
  ) {
    super(message);
  }
}

/** The jobs' counts as one progress line; the ETA is the latest estimatedCompletionAt of an unfinished job. */
export function combineProgress(snapshots: Iterable<JobSnapshot>, now: number): Progress {
  const progress: Progress = { total: 0, created: 0, failed: 0, waiting: 0, eta: undefined, at: now };
  let latest: number | undefined;
  let open = false;
  for (const job of snapshots) {
    progress.total += job.total;
    progress.created += job.createdCount;
    progress.failed += job.failedCount;
    progress.waiting += job.pendingCount;
    if (FINAL.has(job.state)) continue;
    open = true;
    const at = job.estimatedCompletionAt ? Date.parse(job.estimatedCompletionAt) : Number.NaN;
    if (Number.isFinite(at)) latest = Math.max(latest ?? at, at);
  }
  const eta: Estimate | undefined = !open ? { ms: 0, atLeast: false } : latest === undefined ? undefined : { ms: Math.max(0, latest - now), atLeast: false };
  return { ...progress, eta };
}

/**
 * Watches every job until it is DONE or CANCELLED, then pages its results. Each job is watched through
 * its progress subscription; when the stream cannot be opened or drops, the job is polled instead.
 */
export async function followJobs(options: FollowOptions): Promise<FollowReport> {
  const { client, jobIds, reporter, pollMs = 2_000, maxFailures = 5 } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const stopSignal = options.stopSignal ?? new AbortController().signal;
  // Ending the streams on a stop, or when one job's failure ends the whole follow.
  const streams = new AbortController();
  const ended = AbortSignal.any([stopSignal, streams.signal]);
  const jobs = new Map<string, JobSnapshot>();
  const results = new Map<string, JobResultItem[]>();
  let started = false;
  const show = () => {
    if (jobs.size < jobIds.length) return;
    const progress = combineProgress(jobs.values(), now());
    if (!started) reporter.start(progress);
    else reporter.progress(progress);
    started = true;
  };
  const update = (snapshot: JobSnapshot) => {
    const before = jobs.get(snapshot.id);
    jobs.set(snapshot.id, snapshot);
    if (!before || before.pendingCount !== snapshot.pendingCount || before.state !== snapshot.state || before.estimatedCompletionAt !== snapshot.estimatedCompletionAt) show();
  };

  /** Asks until the call passes; refusals wait, a fatal answer or too many failures in a row end the follow. */
  async function ask<T>(call: () => Promise<JobCall<T>>): Promise<T> {
    for (let failures = 0; ; ) {
      if (ended.aborted) throw new Stop('interrupted', 'interrupted');
      const answer = await call();
      if (answer.kind === 'ok') return answer.value;
      if (answer.kind === 'fatal') throw new Stop('refused', answer.reason);
      const retryAfter = answer.kind === 'refused' ? answer.retryAfterMs : pollMs;
      if (!(answer.kind === 'refused' && answer.rateLimited) && ++failures >= maxFailures) throw new Stop('unreachable', `${answer.reason}, ${maxFailures} times in a row`);
      await sleep(retryAfter, ended);
    }
  }

  async function poll(id: string): Promise<JobSnapshot> {
    const snapshot = await ask(() => client.job(id, ended));
    if (!snapshot) throw new Stop('refused', `the gateway knows no job ${id} for this key`);
    update(snapshot);
    return snapshot;
  }

  async function watch(id: string): Promise<void> {
    let snapshot = await poll(id);
    if (!FINAL.has(snapshot.state)) {
      try {
        for await (const pushed of client.progress(id, ended)) {
          update(pushed);
          snapshot = pushed;
          if (FINAL.has(pushed.state)) break;
        }
      } catch (error) {
        if (!ended.aborted) reporter.log(`job ${id}: progress stream ended (${(error as Error).message}); polling every ${Math.round(pollMs / 1000)}s`);
      }
      while (!FINAL.has(snapshot.state)) {
        if (ended.aborted) throw new Stop('interrupted', 'interrupted');
        await sleep(pollMs, ended);
        snapshot = await poll(id);
      }
    }
    const items: JobResultItem[] = [];
    for (let after: string | null = null; ; ) {
      const cursor: string | null = after;
      const page: ResultsPage = await ask(() => client.results(id, cursor, ended));
      items.push(...page.edges);
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
      after = page.pageInfo.endCursor;
    }
    results.set(id, items.sort((a, b) => a.index - b.index));
  }

  let stoppedBecause: string | undefined;
  let stopKind: StopKind | undefined;
  try {
    const settled = await Promise.allSettled(
      jobIds.map((id) =>
        watch(id).catch((error: unknown) => {
          streams.abort();
          throw error;
        }),
      ),
    );
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      // The first real cause, not the interruptions it caused in the other jobs' watches.
      const causes = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as unknown);
      const cause = (causes.find((c) => c instanceof Stop && c.kind !== 'interrupted') ?? failure.reason) as unknown;
      if (!(cause instanceof Stop)) throw cause;
      stopKind = stopSignal.aborted ? 'interrupted' : cause.kind;
      stoppedBecause = stopSignal.aborted ? 'interrupted' : cause.message;
    }
  } finally {
    if (started) reporter.stop();
  }
  return { results, jobs, ...(stoppedBecause ? { stoppedBecause, stopKind } : {}) };
}
