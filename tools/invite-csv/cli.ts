import { readFile, stat } from 'node:fs/promises';
import { parseCliArgs, USAGE } from './args.ts';
import { type CliIo, EXIT_NOT_ALL_CREATED, EXIT_OK, EXIT_STOPPED, EXIT_USAGE } from './cli-io.ts';
import { applyUnknownChecks, checkUnknownRows } from './check-unknown.ts';
import { checkRows, CsvFileError, parseCsv } from './csv-rows.ts';
import { createGatewayClient } from './gateway-client.ts';
import { JobsFile, JobsFileError } from './jobs-file.ts';
import { markNotSent, planRun } from './plan.ts';
import { lineReporter, silentReporter } from './progress.ts';
import { runQueueCli } from './queue-cli.ts';
import { invalidResult, summarize, writeResults } from './results.ts';
import { type Reporter, runInvites } from './run-invites.ts';
import { StateFileError, StateStore } from './state-store.ts';

export { type CliIo, EXIT_NOT_ALL_CREATED, EXIT_OK, EXIT_STOPPED, EXIT_USAGE } from './cli-io.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The key from --key-file: its first line, trimmed. Errors name the file, never its content. A file
 * others can read is used but warned about, since the key grants the right to invite anyone.
 */
async function readKeyFile(path: string, warn: (line: string) => void): Promise<string | { error: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { error: `cannot read --key-file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  const key = text.split(/\r?\n/, 1)[0]!.trim();
  if (!key) return { error: `--key-file ${path} is empty` };
  const mode = (await stat(path)).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    warn(`clerk-invite: warning: ${path} can be read by other users (mode ${mode.toString(8).padStart(3, '0')}); chmod 600 ${path}`);
  }
  return key;
}

/** The whole command: parse, check, plan, send, write results. Returns the exit status. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const args = parseCliArgs(argv, io.env);
  if (args.kind === 'help') {
    io.out(USAGE);
    return EXIT_OK;
  }
  if (args.kind === 'usage-error') {
    io.err(`clerk-invite: ${args.message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const options = args.options;
  if (options.keyFile !== undefined) {
    const key = await readKeyFile(options.keyFile, io.err);
    if (typeof key !== 'string') {
      io.err(`clerk-invite: ${key.error}`);
      return EXIT_USAGE;
    }
    options.apiKey = key;
  }
  if (options.queue || options.follow) return runQueueCli(options, io);
  // A file whose jobs are still open must not be sent directly too: its rows would go out twice.
  try {
    const jobs = await JobsFile.read(options.jobsPath, options.url);
    if (jobs?.unfinished) {
      io.err(
        `clerk-invite: ${options.file} was queued as jobs (${options.jobsPath}) that are not finished; follow them with --follow ${options.file}. ` +
          `To send the file directly instead, move ${options.jobsPath} away first.`,
      );
      return EXIT_USAGE;
    }
  } catch (error) {
    if (!(error instanceof JobsFileError)) throw error;
    io.err(`clerk-invite: ${error.message}`);
    return EXIT_USAGE;
  }

  let text: string;
  try {
    text = await readFile(options.file, 'utf8');
  } catch (error) {
    io.err(`clerk-invite: cannot read ${options.file}: ${(error as Error).message}`);
    return EXIT_USAGE;
  }
  let checked;
  let state: StateStore;
  try {
    checked = checkRows(parseCsv(text), { allowedRedirectOrigins: options.redirectOrigins });
    state = await StateStore.open(options.statePath, options.url, io.now);
  } catch (error) {
    if (error instanceof CsvFileError) io.err(`clerk-invite: ${options.file}: ${error.message}`);
    else if (error instanceof StateFileError) io.err(`clerk-invite: ${error.message}`);
    else throw error;
    return EXIT_USAGE;
  }

  for (const row of checked.invalid) io.err(`line ${row.line}: ${row.problems.join('; ')}`);
  const client = createGatewayClient({ url: options.url, apiKey: options.apiKey, fetch: io.fetch });
  const planOptions = { retryUnknown: options.retryUnknown, limit: options.limit };
  let plan = planRun(checked.valid, state, planOptions);
  if (plan.unknown.length > 0 && !options.dryRun) {
    // A lookup settles most unknown outcomes; only rows it cannot settle need a person.
    const checks = await checkUnknownRows(plan.unknown, state, client, io.now ?? Date.now);
    const applied = applyUnknownChecks(plan.unknown, checks, state);
    await state.save();
    io.err(
      `looked up ${plural(plan.unknown.length, 'row')} an earlier run left with an unknown outcome: ${applied.found} had been created, ` +
        `${applied.absent} had not (sending them now), ${applied.notes.size} cannot be settled yet`,
    );
    plan = planRun(checked.valid, state, { ...planOptions, unknownNotes: applied.notes });
  }
  const earlier = plan.settled.length - plan.unknown.length;
  io.out(
    `${options.file}: ${plural(checked.valid.length + checked.invalid.length, 'row')}, ${checked.invalid.length} invalid` +
      (earlier > 0 ? `, ${earlier} settled by an earlier run` : '') +
      `; ${plan.send.length} to send` +
      (plan.later.length > 0 ? ` now, ${plan.later.length} left for a later run (--limit)` : ''),
  );
  if (plan.unknown.length > 0) {
    const lines = plan.unknown.map((row) => row.line).join(', ');
    io.err(
      options.dryRun
        ? `${plural(plan.unknown.length, 'row')} (lines ${lines}) may have been invited by an earlier run whose request broke off; a run looks them up before sending anything.`
        : `${plural(plan.unknown.length, 'row')} (lines ${lines}) may have been invited by an earlier run and could not be checked; they are not resent. ` +
            'Rerun later to look them up again, or check them in Clerk and rerun with --retry-unknown to send them with ' +
            'ignoreExisting off, so Clerk refuses any that already have an invitation.',
    );
  }
  const rechecks = plan.send.filter((row) => row.recheck).length;
  if (rechecks > 0) io.err(`--retry-unknown: resending ${plural(rechecks, 'row')} whose outcome was unknown, with ignoreExisting off`);
  if (options.dryRun) return checked.invalid.length > 0 ? EXIT_NOT_ALL_CREATED : EXIT_OK;

  const reporter = options.quiet ? silentReporter : (io.reporter?.() ?? lineReporter(io.err));
  let report;
  try {
    report = await runInvites({
      rows: plan.send,
      state,
      client,
      chunkSize: options.chunkSize,
      reporter,
      now: io.now,
      sleep: io.sleep,
      stopSignal: io.stopSignal,
      abortSignal: io.abortSignal,
    });
  } catch (error) {
    // Only the state file's writes can throw here; without them a rerun could not resume safely.
    const path = (error as NodeJS.ErrnoException).path;
    if (!path) throw error;
    io.err(`clerk-invite: cannot write ${path}: ${(error as Error).message}`);
    return EXIT_USAGE;
  }
  const laterMessage = 'not sent in this run (--limit); rerun to continue';
  const later = plan.later.map((row) => {
    markNotSent(state, row, laterMessage);
    return { line: row.line, emailAddress: row.input.emailAddress, outcome: 'NOT_SENT' as const, invitationId: '', message: laterMessage };
  });
  const rows = [...checked.invalid.map(invalidResult), ...plan.settled, ...report.results, ...later];
  try {
    if (later.length > 0) await state.save();
  } catch (error) {
    io.err(`clerk-invite: cannot write ${options.statePath}: ${(error as Error).message}`);
    return EXIT_USAGE;
  }
  try {
    await writeResults(options.out, rows);
  } catch (error) {
    io.err(`clerk-invite: cannot write ${options.out}: ${(error as Error).message}`);
    return EXIT_USAGE;
  }
  if (report.stoppedBecause) io.err(`stopped: ${report.stoppedBecause.replace(/\.+$/, '')}. Rerun the same command to continue.`);
  io.out(`${summarize(rows)}. Results: ${options.out}`);
  if (report.stopKind === 'interrupted' || report.stopKind === 'unreachable') return EXIT_STOPPED;
  if (report.stopKind === 'refused') return EXIT_USAGE;
  return rows.every((row) => row.outcome === 'CREATED') ? EXIT_OK : EXIT_NOT_ALL_CREATED;
}
