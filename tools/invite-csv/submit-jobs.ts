import type { CliIo } from './cli-io.ts';
import type { JobsFile, RecordedJob } from './jobs-file.ts';
import { jobLimitFrom, planChunks } from './queue-plan.ts';
import type { QueueClient } from './queue-client.ts';
import type { StopKind } from './run-invites.ts';
import type { ValidRow } from './types.ts';

export interface SubmitReport {
  /** Submitted now or before: every job with an id. */
  submitted: RecordedJob[];
  stoppedBecause?: string;
  stopKind?: StopKind;
}

/** The jobs to record for `rows`: the plan is fixed before the first submission, keys included. */
export const recordedJobs = (rows: readonly ValidRow[], jobSize: number, fileSha: string): RecordedJob[] =>
  planChunks(rows, jobSize, fileSha).map(({ index, idempotencyKey, lines }) => ({ index, idempotencyKey, lines }));

const lineRange = (lines: readonly number[]) => (lines.length === 1 ? `line ${lines[0]}` : `lines ${lines[0]}-${lines.at(-1)}`);
export const describeJob = (job: RecordedJob) => `job ${job.id}: ${lineRange(job.lines)} (${job.lines.length} row${job.lines.length === 1 ? '' : 's'})`;

/**
 * Submits every recorded job that has no id yet, one at a time, saving its id as soon as the gateway
 * accepts it. A lost answer is not retried here: the rerun submits under the same key, and the gateway
 * answers with the job it created, so a row is never queued twice.
 */
export async function submitJobs(options: {
  jobsFile: JobsFile;
  /** Valid rows by file line, to rebuild each job's items. */
  rowsByLine: ReadonlyMap<number, ValidRow>;
  client: QueueClient;
  io: CliIo;
  maxAttempts?: number;
}): Promise<SubmitReport> {
  const { jobsFile, rowsByLine, client, io, maxAttempts = 5 } = options;
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const stopped = (stopKind: StopKind, stoppedBecause: string): SubmitReport => ({ submitted: jobsFile.jobs.filter((job) => job.id), stoppedBecause, stopKind });
  let refusals = 0;
  for (let i = 0; i < jobsFile.jobs.length; i++) {
    const job = jobsFile.jobs[i]!;
    if (job.id) continue;
    if (io.stopSignal?.aborted) return stopped('interrupted', 'interrupted');
    const invitations = job.lines.map((line) => rowsByLine.get(line)!.input);
    const answer = await client.submit(invitations, job.idempotencyKey, io.abortSignal);
    if (answer.kind === 'ok') {
      refusals = 0;
      jobsFile.setId(job.index, answer.value.id);
      await jobsFile.save();
      io.out(describeJob(jobsFile.jobs[i]!));
      continue;
    }
    if (answer.kind === 'fatal') {
      const limit = answer.error?.extensions?.code === 'BAD_USER_INPUT' ? jobLimitFrom(answer.error.message, answer.error.extensions) : undefined;
      if (limit !== undefined && limit < job.lines.length && jobsFile.jobs.every((other) => !other.id)) {
        // The gateway takes smaller jobs than asked; nothing is queued yet, so the plan can change.
        const rows = jobsFile.jobs.flatMap((other) => other.lines.map((line) => rowsByLine.get(line)!));
        jobsFile.replan(limit, recordedJobs(rows, limit, jobsFile.fileSha));
        await jobsFile.save();
        io.err(`the gateway takes at most ${limit} rows per job; queuing them as ${jobsFile.jobs.length} jobs`);
        i = -1;
        continue;
      }
      // A job larger than the key's whole daily limit can never pass: smaller jobs can.
      return stopped('refused', answer.reason.replace('--chunk-size', '--job-size'));
    }
    if (answer.kind === 'unknown') return stopped('unreachable', `${answer.reason}; rerun the same command: the job's key makes the gateway answer with the job if it was created`);
    if (answer.rateLimited) return stopped('unreachable', `${answer.reason}; the caller limit counts queued rows per day: rerun after ${Math.ceil(answer.retryAfterMs / 1000)} s to queue the rest`);
    if (++refusals >= maxAttempts) return stopped('unreachable', `${answer.reason}, ${maxAttempts} times in a row`);
    await sleep(answer.retryAfterMs, io.stopSignal ?? new AbortController().signal);
    i -= 1;
  }
  return { submitted: jobsFile.jobs.filter((job) => job.id) };
}
