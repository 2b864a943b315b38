import { readFile } from 'node:fs/promises';
import type { CliOptions } from './args.ts';
import { type CliIo, EXIT_NOT_ALL_CREATED, EXIT_OK, EXIT_STOPPED, EXIT_USAGE } from './cli-io.ts';
import { checkRows, CsvFileError, parseCsv } from './csv-rows.ts';
import { combineProgress, followJobs } from './follow-jobs.ts';
import { JobsFile, JobsFileError } from './jobs-file.ts';
import { planRun } from './plan.ts';
import { lineReporter, silentReporter } from './progress.ts';
import { createQueueClient, type JobResultItem } from './queue-client.ts';
import { fileDigest } from './queue-plan.ts';
import { invalidResult, summarize, writeResults } from './results.ts';
import type { StopKind } from './run-invites.ts';
import { StateFileError, StateStore } from './state-store.ts';
import { describeJob, recordedJobs, submitJobs } from './submit-jobs.ts';
import type { ResultRow, ValidRow } from './types.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One job result as a result CSV line. */
function resultRow(line: number, item: JobResultItem): ResultRow {
  const result = item.result;
  if (!result) return { line, emailAddress: item.emailAddress, outcome: 'QUEUED', invitationId: '', message: 'not settled by the gateway yet' };
  if (result.__typename === 'InvitationCreated') return { line, emailAddress: item.emailAddress, outcome: 'CREATED', invitationId: result.invitation.id, message: '' };
  return { line, emailAddress: item.emailAddress, outcome: result.code, invitationId: '', message: result.message };
}

const exitFor = (stopKind: StopKind | undefined, rows: readonly ResultRow[]) =>
  stopKind === 'refused' ? EXIT_USAGE : stopKind ? EXIT_STOPPED : rows.every((row) => row.outcome === 'CREATED') ? EXIT_OK : EXIT_NOT_ALL_CREATED;

async function write(io: CliIo, path: string, rows: readonly ResultRow[]): Promise<boolean> {
  try {
    await writeResults(path, rows);
    return true;
  } catch (error) {
    io.err(`clerk-invite: cannot write ${path}: ${(error as Error).message}`);
    return false;
  }
}

/** --queue, --follow and --job: submit a file as jobs, and/or watch jobs until done. */
export async function runQueueCli(options: CliOptions, io: CliIo): Promise<number> {
  const client = createQueueClient({ url: options.url, apiKey: options.apiKey, fetch: io.fetch });
  const reporter = () => (options.quiet ? silentReporter : (io.reporter?.() ?? lineReporter(io.err, 'following')));
  const follow = (jobIds: string[]) =>
    followJobs({ client, jobIds, reporter: reporter(), now: io.now, sleep: io.sleep, stopSignal: io.stopSignal, pollMs: options.pollMs });

  if (options.jobIds.length > 0) {
    const report = await follow(options.jobIds);
    let offset = 0;
    const rows: ResultRow[] = [];
    for (const id of options.jobIds) {
      for (const item of report.results.get(id) ?? []) rows.push(resultRow(offset + item.index + 1, item));
      offset += report.jobs.get(id)?.total ?? 0;
    }
    if (report.stoppedBecause) {
      io.err(`stopped following: ${report.stoppedBecause}. The jobs go on in the gateway; rerun the same command to follow them.`);
      return report.stopKind === 'refused' ? EXIT_USAGE : EXIT_STOPPED;
    }
    if (!(await write(io, options.out, rows))) return EXIT_USAGE;
    io.out(`${summarize(rows)}. Results: ${options.out}`);
    return exitFor(undefined, rows);
  }

  let text: string;
  let state: StateStore;
  let jobsFile: JobsFile | undefined;
  let checked;
  try {
    text = await readFile(options.file, 'utf8');
    checked = checkRows(parseCsv(text), { allowedRedirectOrigins: options.redirectOrigins });
    state = await StateStore.open(options.statePath, options.url, io.now);
    jobsFile = await JobsFile.read(options.jobsPath, options.url);
  } catch (error) {
    if (error instanceof CsvFileError) io.err(`clerk-invite: ${options.file}: ${error.message}`);
    else if (error instanceof StateFileError || error instanceof JobsFileError) io.err(`clerk-invite: ${error.message}`);
    else if ((error as NodeJS.ErrnoException).code) io.err(`clerk-invite: cannot read ${options.file}: ${(error as Error).message}`);
    else throw error;
    return EXIT_USAGE;
  }
  const fileSha = fileDigest(text);
  for (const row of checked.invalid) io.err(`line ${row.line}: ${row.problems.join('; ')}`);
  if (jobsFile && jobsFile.fileSha !== fileSha) {
    io.err(
      `clerk-invite: ${options.file} changed since it was queued as jobs (${options.jobsPath}). Follow those jobs with --job <id>, ` +
        `or move ${options.jobsPath} away to queue the file as it is now (rows already invited then fail as ALREADY_INVITED).`,
    );
    return EXIT_USAGE;
  }
  const rowsByLine = new Map<number, ValidRow>(checked.valid.map((row) => [row.line, row]));
  // Rows an earlier direct run settled are not queued again; unknown ones are left to a direct run's lookup.
  const plan = planRun(checked.valid, state, { retryUnknown: false });
  if (options.queue) {
    if (!jobsFile) {
      jobsFile = JobsFile.create(options.jobsPath, options.url, fileSha, options.jobSize, recordedJobs(plan.send, options.jobSize, fileSha));
    }
    const queued = jobsFile.jobs.reduce((n, job) => n + job.lines.length, 0);
    io.out(
      `${options.file}: ${plural(checked.valid.length + checked.invalid.length, 'row')}, ${checked.invalid.length} invalid` +
        (plan.settled.length > 0 ? `, ${plan.settled.length} settled by an earlier run` : '') +
        `; ${plural(queued, 'row')} in ${plural(jobsFile.jobs.length, 'job')}` +
        (jobsFile.jobs.some((job) => job.id) ? ` (queued before: ${jobsFile.jobs.filter((job) => job.id).length})` : ''),
    );
    if (plan.unknown.length > 0) {
      io.err(
        `${plural(plan.unknown.length, 'row')} (lines ${plan.unknown.map((row) => row.line).join(', ')}) may have been invited by an earlier direct run ` +
          'whose request broke off; they are not queued. A direct run (without --queue) looks them up first.',
      );
    }
    const notAllQueued = checked.invalid.length > 0 || plan.unknown.length > 0 ? EXIT_NOT_ALL_CREATED : EXIT_OK;
    if (options.dryRun) return notAllQueued;
    if (jobsFile.jobs.length === 0) {
      io.out('nothing to queue: every valid row was settled by an earlier run');
      return plan.settled.every((row) => row.outcome === 'CREATED') ? notAllQueued : EXIT_NOT_ALL_CREATED;
    }
    try {
      await jobsFile.save();
    } catch (error) {
      io.err(`clerk-invite: cannot write ${options.jobsPath}: ${(error as Error).message}`);
      return EXIT_USAGE;
    }
    for (const job of jobsFile.jobs) if (job.id) io.out(`${describeJob(job)} (queued before)`);
    const submitted = await submitJobs({ jobsFile, rowsByLine, client, io });
    if (submitted.stoppedBecause) {
      io.err(`stopped: ${submitted.stoppedBecause.replace(/\.+$/, '')}.`);
      return submitted.stopKind === 'refused' ? EXIT_USAGE : EXIT_STOPPED;
    }
    if (!options.follow) {
      io.out(`queued: ${submitted.submitted.map((job) => job.id).join(' ')}. Follow with: clerk-invite --follow ${options.file}`);
      return notAllQueued;
    }
  } else if (!jobsFile) {
    io.err(`clerk-invite: ${options.file} has not been queued (no ${options.jobsPath}); queue it with --queue`);
    return EXIT_USAGE;
  } else if (jobsFile.jobs.some((job) => !job.id)) {
    io.err(`clerk-invite: not every job of ${options.file} was submitted; rerun with --queue --follow to submit the rest and follow them all`);
    return EXIT_USAGE;
  }

  const open = jobsFile.jobs.filter((job) => !job.finished);
  const report = await follow(open.map((job) => job.id!));
  for (const job of open) {
    const items = report.results.get(job.id!);
    if (!items) continue;
    for (const item of items) {
      const row = rowsByLine.get(job.lines[item.index]!);
      if (!row || !item.result) continue;
      const settled = resultRow(row.line, item);
      const retryable = item.result.__typename === 'InvitationFailed' && item.result.retryable;
      state.set(row.key, { line: row.line, fingerprint: row.fingerprint, outcome: settled.outcome, invitationId: settled.invitationId || undefined, message: settled.message || undefined, retryable });
    }
    jobsFile.markFinished(job.id!);
  }
  const inOpenJob = new Set(jobsFile.jobs.filter((job) => !job.finished).flatMap((job) => job.lines));
  const rows: ResultRow[] = [
    ...checked.invalid.map(invalidResult),
    ...checked.valid.map((row): ResultRow => {
      if (inOpenJob.has(row.line)) return { line: row.line, emailAddress: row.input.emailAddress, outcome: 'QUEUED', invitationId: '', message: 'queued; the job was not finished when following stopped' };
      const entry = state.get(row.key);
      const outcome = !entry ? 'NOT_SENT' : entry.outcome === 'SENDING' ? 'OUTCOME_UNKNOWN' : entry.outcome;
      return { line: row.line, emailAddress: row.input.emailAddress, outcome, invitationId: entry?.invitationId ?? '', message: entry?.message ?? '' };
    }),
  ];
  try {
    await state.save();
    await jobsFile.save();
  } catch (error) {
    io.err(`clerk-invite: cannot write ${(error as NodeJS.ErrnoException).path ?? 'the state'}: ${(error as Error).message}`);
    return EXIT_USAGE;
  }
  if (!(await write(io, options.out, rows))) return EXIT_USAGE;
  if (report.stoppedBecause) {
    const { created, failed, waiting } = combineProgress(report.jobs.values(), Date.now());
    const so = report.jobs.size > 0 ? ` (so far: created ${created}, failed ${failed}, waiting ${waiting})` : '';
    io.err(`stopped following: ${report.stoppedBecause.replace(/\.+$/, '')}. The jobs go on in the gateway${so}; rerun with --follow ${options.file} to pick them up.`);
  }
  io.out(`${summarize(rows)}. Results: ${options.out}`);
  return exitFor(report.stopKind, rows);
}
