import { parseArgs } from 'node:util';

export const DEFAULT_URL = 'http://localhost:4000/graphql';
export const DEFAULT_CHUNK_SIZE = 20;
/** The gateway's default MAX_INVITATIONS_PER_REQUEST. */
export const MAX_CHUNK_SIZE = 100;
/** The gateway's default MAX_INVITATIONS_PER_JOB: rows per submitInvitations job. */
export const DEFAULT_JOB_SIZE = 10_000;

export const USAGE = `Usage: clerk-invite [options] <file.csv>
       clerk-invite --queue [--follow] [options] <file.csv>
       clerk-invite --follow [options] <file.csv>
       clerk-invite --job <id> [--job <id>…] [options]
       npm run invite -- [options] <file.csv>

Invites every address in a CSV file through the invitation gateway, in chunks,
waiting out Clerk's hourly limits. Resumable: rerun the same command to continue.

Options:
  --url <url>         GraphQL endpoint (default: $GATEWAY_URL or ${DEFAULT_URL})
  --key-file <path>   read the API key from this file (default: $GATEWAY_API_KEY);
                      the key is sent as a Bearer token and never printed
  --redirect-origins <origins>
                      the gateway's ALLOWED_REDIRECT_ORIGINS (comma-separated), so
                      rows are checked against them (default: $ALLOWED_REDIRECT_ORIGINS,
                      else paths only, the gateway's default)
  --out <file>        result CSV (default: <file.csv>.results.csv)
  --chunk-size <n>    rows per createInvitations request, 1-${MAX_CHUNK_SIZE} (default: ${DEFAULT_CHUNK_SIZE})
  --limit <n>         send at most n rows in this run
  --retry-unknown     resend rows whose outcome is unknown, with ignoreExisting off
                      so Clerk refuses a second invitation
  --dry-run           check the rows and show what a run would send; send nothing
  --queue             submit the rows as queued jobs (submitInvitations) and exit
                      once the gateway has them; the gateway sends them as Clerk's
                      hourly budget allows, even after this tool has exited
  --follow            with --queue, or alone on a file queued before: watch the
                      jobs until they are done and write the result CSV
  --job <id>          follow a job by id, without its CSV file (repeatable); the
                      results go to --out (default: jobs.results.csv)
  --job-size <n>      rows per job (default: ${DEFAULT_JOB_SIZE}, the gateway's
                      MAX_INVITATIONS_PER_JOB; a smaller gateway limit is found
                      from its refusal)
  --quiet             no progress output
  -h, --help          show this help

Columns: emailAddress (required), expiresInDays (1-365), ignoreExisting and
notify (true/false), publicMetadata (a JSON object), redirectUrl (a path or an
http(s) URL), templateSlug (invitation or waitlist_invitation). Empty cells are
left to Clerk's defaults.

<file.csv>.state.json records each row's outcome. A rerun skips rows created
before and rows that failed for good, unless the row was edited since. A row
whose outcome is unknown (the connection broke mid-request) is first looked up
with the gateway's invitations query: found, it counts as created; certainly
not created, it is sent again; otherwise it is not resent without
--retry-unknown.

Rows are checked with the gateway's own validator, so a dry run refuses what the
gateway would. Rows not sent (--limit, an interruption) are NOT_SENT in the
results; rerun to send them.

With --queue, each job carries an idempotency key made from the file's content
and the job's rows, and the job ids are kept in <file.csv>.jobs.json: running
--queue again on the same file submits nothing twice. Ctrl-C while following
leaves the jobs running on the gateway; --follow <file.csv> picks them up again.

Exit status:
  0  every row created (with --dry-run: every row valid; with --queue alone:
     every row queued)
  1  the run finished and some rows were not created (see the results file);
     with --dry-run: some row invalid; with --queue alone: some row invalid,
     so it was not queued
  2  usage, file or setup error: bad options, an unreadable CSV or key file, or the
     gateway refused the key or the URL
  3  stopped early: interrupted (Ctrl-C), or the gateway could not be reached or
     stopped answering (with --queue: or refused a job for the caller limit);
     rerun the same command to continue`;

export interface CliOptions {
  file: string;
  url: string;
  apiKey: string | undefined;
  /** Read by the CLI (it may fail, and the key's file mode is checked there). */
  keyFile: string | undefined;
  redirectOrigins: string[];
  out: string;
  statePath: string;
  chunkSize: number;
  limit: number | undefined;
  retryUnknown: boolean;
  dryRun: boolean;
  quiet: boolean;
  /** Submit the rows as jobs instead of sending them. */
  queue: boolean;
  /** Watch the jobs (submitted now, recorded for the file, or named by --job) until done. */
  follow: boolean;
  /** Jobs to follow by id, without a CSV file. */
  jobIds: string[];
  jobSize: number;
  /** <file.csv>.jobs.json: the jobs a --queue run submitted. */
  jobsPath: string;
  /** Between polls of a job whose progress stream is gone (CLERK_INVITE_POLL_MS, default 2000). */
  pollMs: number;
}

export type ParsedArgs = { kind: 'run'; options: CliOptions } | { kind: 'help' } | { kind: 'usage-error'; message: string };

export const KEY_ON_COMMAND_LINE =
  '--key is not accepted: a key on the command line is saved in shell history and shown by ps. ' +
  'Set GATEWAY_API_KEY or pass --key-file <path>.';

/** Origins like https://app.example.com, as the gateway's ALLOWED_REDIRECT_ORIGINS lists them. */
function parseOrigins(raw: string): string[] | string {
  const origins = raw.split(',').map((item) => item.trim()).filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin.replace(/\/$/, '')) return `--redirect-origins: "${origin}" is not an origin like https://app.example.com`;
  }
  return origins.map((origin) => origin.replace(/\/$/, ''));
}

function positiveInt(name: string, raw: string | undefined, max = Number.MAX_SAFE_INTEGER): number | string | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max) return `--${name} must be a whole number from 1 to ${max} (got "${raw}")`;
  return value;
}

/** Options that make no sense together with the queue modes, named so the user can drop one. */
function queueModeError(
  values: { queue: boolean; follow: boolean; limit?: string; 'chunk-size'?: string; 'retry-unknown': boolean; 'dry-run': boolean; 'job-size'?: string },
  jobIds: string[],
  files: number,
): string | undefined {
  const queued = values.queue || values.follow || jobIds.length > 0;
  if (!queued) return values['job-size'] !== undefined ? '--job-size needs --queue' : undefined;
  if (jobIds.length > 0 && files > 0) return '--job follows jobs by id without a CSV file; to follow the jobs of a file, use --follow <file.csv>';
  if (jobIds.length > 0 && values.queue) return '--job and --queue do not go together: --job follows jobs that are already queued';
  if (jobIds.some((id) => !id.trim())) return '--job needs a job id';
  if (values.limit !== undefined) return '--limit applies to a direct run, not to --queue or --follow';
  if (values['chunk-size'] !== undefined) return '--chunk-size applies to a direct run; with --queue use --job-size';
  if (values['retry-unknown']) return '--retry-unknown applies to a direct run, not to --queue or --follow';
  if (values['dry-run'] && !values.queue) return '--dry-run goes with --queue (to show the jobs it would submit), not with --follow alone';
  return undefined;
}

/** Reads argv and the environment; never exits, so it can be tested. */
export function parseCliArgs(argv: string[], env: Record<string, string | undefined> = process.env): ParsedArgs {
  // A key on the command line lands in shell history, in `ps` and in npm's echo of the command; refuse
  // it without repeating it.
  if (argv.some((arg) => arg === '--key' || arg.startsWith('--key='))) {
    return { kind: 'usage-error', message: KEY_ON_COMMAND_LINE };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        'key-file': { type: 'string' },
        'redirect-origins': { type: 'string' },
        out: { type: 'string' },
        'chunk-size': { type: 'string' },
        limit: { type: 'string' },
        'retry-unknown': { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        queue: { type: 'boolean', default: false },
        follow: { type: 'boolean', default: false },
        job: { type: 'string', multiple: true },
        'job-size': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return { kind: 'usage-error', message: (error as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  const jobIds = values.job ?? [];
  const modeError = queueModeError(values, jobIds, positionals.length);
  if (modeError) return { kind: 'usage-error', message: modeError };
  if (jobIds.length === 0 && positionals.length !== 1) {
    return { kind: 'usage-error', message: positionals.length === 0 ? 'no CSV file given' : `one CSV file at a time (got ${positionals.length})` };
  }
  const file = positionals[0] ?? '';
  const jobSize = positiveInt('job-size', values['job-size']) ?? DEFAULT_JOB_SIZE;
  if (typeof jobSize === 'string') return { kind: 'usage-error', message: jobSize };
  const chunkSize = positiveInt('chunk-size', values['chunk-size'], MAX_CHUNK_SIZE) ?? DEFAULT_CHUNK_SIZE;
  if (typeof chunkSize === 'string') return { kind: 'usage-error', message: chunkSize };
  const limit = positiveInt('limit', values.limit);
  if (typeof limit === 'string') return { kind: 'usage-error', message: limit };
  const url = values.url ?? env.GATEWAY_URL ?? DEFAULT_URL;
  try {
    const parsedUrl = new URL(url);
    if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') throw new Error('not http');
  } catch {
    return { kind: 'usage-error', message: `--url must be an http(s) URL (got "${url}")` };
  }
  const origins = parseOrigins(values['redirect-origins'] ?? env.ALLOWED_REDIRECT_ORIGINS ?? '');
  if (typeof origins === 'string') return { kind: 'usage-error', message: origins };
  return {
    kind: 'run',
    options: {
      file,
      url,
      apiKey: values['key-file'] === undefined ? env.GATEWAY_API_KEY || undefined : undefined,
      keyFile: values['key-file'],
      redirectOrigins: origins,
      out: values.out ?? (jobIds.length > 0 ? 'jobs.results.csv' : `${file}.results.csv`),
      statePath: `${file}.state.json`,
      chunkSize,
      limit,
      retryUnknown: values['retry-unknown'],
      dryRun: values['dry-run'],
      quiet: values.quiet,
      queue: values.queue,
      follow: values.follow || jobIds.length > 0,
      jobIds,
      jobSize,
      jobsPath: `${file}.jobs.json`,
      pollMs: Number(env.CLERK_INVITE_POLL_MS) > 0 ? Number(env.CLERK_INVITE_POLL_MS) : 2_000,
    },
  };
}
