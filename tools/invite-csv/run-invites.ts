import { setTimeout as delay } from 'node:timers/promises';
import { EtaEstimator, type Estimate, formatDuration } from './eta.ts';
import type { GatewayClient, InvitationResult } from './gateway-client.ts';
import { markNotSent, type PlannedRow } from './plan.ts';
import type { StateEntry, StateStore } from './state-store.ts';
import type { OutcomeCode, ResultRow } from './types.ts';

export interface Progress {
  total: number;
  created: number;
  failed: number;
  /** Rows not settled yet, rate-limited ones included. */
  waiting: number;
  eta: Estimate | undefined;
  /** When `eta` was computed (the run's clock), so a reporter can count down between updates. */
  at: number;
  /** Set while the run waits before its next request. */
  resumeAt?: number;
  /** Why it waits, e.g. "rate limited". */
  waitReason?: string;
}

export interface Reporter {
  start(progress: Progress): void;
  progress(progress: Progress): void;
  log(message: string): void;
  stop(): void;
}

export interface RunOptions {
  rows: readonly PlannedRow[];
  state: StateStore;
  client: Pick<GatewayClient, 'send'>;
  chunkSize: number;
  reporter: Reporter;
  now?: () => number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Stop before the next request (first Ctrl-C). */
  stopSignal?: AbortSignal;
  /** Abandon the request in flight too (second Ctrl-C); its rows end OUTCOME_UNKNOWN. */
  abortSignal?: AbortSignal;
  /** Tries per row for transient, non-rate-limit failures. */
  maxAttempts?: number;
}

export interface RunReport {
  /** One per planned row. */
  results: ResultRow[];
  /** Why the run ended before every row was settled. */
  stoppedBecause?: string;
  /**
   * What kind of stop: asked to (`interrupted`), the gateway could not be reached or its answer was
   * lost (`unreachable`: a rerun may get through), or it refused the request as such (`refused`:
   * wrong key or URL, a chunk too large; a rerun as is will not help).
   */
  stopKind?: StopKind;
}

export type StopKind = 'interrupted' | 'unreachable' | 'refused';

const realSleep = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }).catch(() => undefined);

const rowsText = (n: number) => `${n} row${n === 1 ? '' : 's'}`;

const RECHECK_EXISTS =
  'an invitation for this address already exists, most likely the one the earlier attempt with an unknown outcome created; check it in Clerk';

/**
 * Sends the planned rows in chunks, one request at a time. Every row is marked SENDING in the state
 * file before its request leaves and gets its outcome when the answer is in; rate-limited rows go back
 * to the front of the queue and the run waits the longest retryAfterSeconds of the chunk.
 */
export async function runInvites(options: RunOptions): Promise<RunReport> {
  const { rows, state, client, chunkSize, reporter, maxAttempts = 5 } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const stopSignal = options.stopSignal ?? new AbortController().signal;
  const eta = new EtaEstimator(now);
  const queue = [...rows];
  const results = new Map<string, ResultRow>();
  const attempts = new Map<string, number>();
  let created = 0;
  let failed = 0;
  let resumeAt = 0;
  let waitReason = '';
  let stoppedBecause: string | undefined;
  let stopKind: StopKind | undefined;
  const stop = (kind: StopKind, why: string) => {
    stopKind = kind;
    stoppedBecause = why;
  };

  const progress = (): Progress => {
    const at = now();
    return { total: rows.length, created, failed, waiting: queue.length, eta: eta.estimate(queue.length), at, ...(resumeAt > at ? { resumeAt, waitReason } : {}) };
  };
  const waitUntil = (until: number, reason: string) => {
    resumeAt = until;
    waitReason = reason;
    eta.waitUntil(until);
  };
  /** When each row's latest request left, kept with an unknown outcome so a lookup can tell whose invitation it finds. */
  const sentAt = new Map<string, string>();
  const settle = (row: PlannedRow, outcome: OutcomeCode, invitationId: string, message: string, retryable = false) => {
    results.set(row.key, { line: row.line, emailAddress: row.input.emailAddress, outcome, invitationId, message });
    const when = outcome === 'OUTCOME_UNKNOWN' ? { sentAt: sentAt.get(row.key) } : {};
    state.set(row.key, { line: row.line, fingerprint: row.fingerprint, outcome, invitationId: invitationId || undefined, message: message || undefined, retryable, ...when });
    if (outcome === 'CREATED') created += 1;
    else failed += 1;
    eta.settle(1);
  };

  /** Sorts one answered chunk; returns the rows to send again and how long to wait first. */
  const absorb = (chunk: PlannedRow[], answers: InvitationResult[]): { again: PlannedRow[]; waitMs: number } => {
    const again: PlannedRow[] = [];
    let waitMs = 0;
    chunk.forEach((row, i) => {
      const answer = answers[i]!;
      if (answer.__typename === 'InvitationCreated') return settle(row, 'CREATED', answer.invitation.id, '');
      const tries = (attempts.get(row.key) ?? 0) + 1;
      attempts.set(row.key, tries);
      // Rate limits always lift; other transient failures get a few tries before they count as failed.
      if (answer.retryable && (answer.code === 'RATE_LIMITED' || tries < maxAttempts)) {
        again.push(row);
        state.set(row.key, { line: row.line, fingerprint: row.fingerprint, outcome: answer.code, message: answer.message, retryable: true });
        waitMs = Math.max(waitMs, (answer.retryAfterSeconds ?? (answer.code === 'RATE_LIMITED' ? 60 : 2 ** tries)) * 1000);
        return;
      }
      const message = row.recheck && answer.code === 'ALREADY_INVITED' ? RECHECK_EXISTS : answer.message;
      settle(row, answer.code, '', message, answer.retryable);
    });
    return { again, waitMs };
  };

  if (rows.length > 0) reporter.start(progress());
  try {
    let transientRefusals = 0;
    while (queue.length > 0) {
      if (stopSignal.aborted) {
        stop('interrupted', 'interrupted');
        break;
      }
      const waitMs = resumeAt - now();
      if (waitMs > 0) {
        await sleep(waitMs, stopSignal);
        eta.resumed();
        continue;
      }
      const chunk = queue.splice(0, chunkSize);
      const previous = new Map<string, StateEntry | undefined>(chunk.map((row) => [row.key, state.get(row.key)]));
      const leaving = new Date(now()).toISOString();
      for (const row of chunk) {
        sentAt.set(row.key, leaving);
        state.set(row.key, { line: row.line, fingerprint: row.fingerprint, outcome: 'SENDING', retryable: false, sentAt: leaving });
      }
      await state.save();
      const outcome = await client.send(chunk.map((row) => row.input), options.abortSignal);
      if (outcome.kind === 'answered') {
        transientRefusals = 0;
        const { again, waitMs: wait } = absorb(chunk, outcome.results);
        queue.unshift(...again);
        if (again.length > 0) {
          const limited = outcome.results.some((r) => r.__typename === 'InvitationFailed' && r.code === 'RATE_LIMITED');
          waitUntil(now() + wait, limited ? 'rate limited' : 'transient failure');
          reporter.log(`${rowsText(again.length)} ${limited ? 'rate limited' : 'failed for now'} and not sent; retrying in ${formatDuration(wait)}`);
        }
      } else if (outcome.kind === 'refused') {
        for (const row of chunk) state.restore(row.key, previous.get(row.key));
        queue.unshift(...chunk);
        if (!outcome.rateLimited && ++transientRefusals >= maxAttempts) stop('unreachable', `${outcome.reason}, ${maxAttempts} times in a row`);
        else waitUntil(now() + outcome.retryAfterMs, outcome.rateLimited ? 'rate limited' : 'gateway unavailable');
        if (!stoppedBecause) reporter.log(`the gateway refused the request, nothing was done (${outcome.reason}); retrying in ${formatDuration(outcome.retryAfterMs)}`);
      } else if (outcome.kind === 'fatal') {
        for (const row of chunk) state.restore(row.key, previous.get(row.key));
        queue.unshift(...chunk);
        stop('refused', outcome.reason);
      } else {
        for (const row of chunk) settle(row, 'OUTCOME_UNKNOWN', '', `${outcome.reason}. Check it in Clerk before sending it again (rerun with --retry-unknown).`);
        stop(options.abortSignal?.aborted ? 'interrupted' : 'unreachable', `${outcome.reason}; ${rowsText(chunk.length)} of that request may or may not have been invited`);
      }
      await state.save();
      reporter.progress(progress());
      if (stoppedBecause) break;
    }
  } finally {
    if (rows.length > 0) reporter.stop();
  }

  for (const row of queue) {
    const last = state.get(row.key);
    const why = last?.outcome === 'RATE_LIMITED' ? 'rate limited when the run stopped' : 'not sent in this run';
    const message = `${why}; rerun to continue`;
    results.set(row.key, { line: row.line, emailAddress: row.input.emailAddress, outcome: 'NOT_SENT', invitationId: '', message });
    markNotSent(state, row, message);
  }
  if (queue.length > 0) await state.save();
  return { results: rows.map((row) => results.get(row.key)!), ...(stoppedBecause ? { stoppedBecause, stopKind } : {}) };
}
