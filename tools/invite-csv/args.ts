import { parseArgs } from 'node:util';

export const DEFAULT_URL = 'http://localhost:4000/graphql';
export const DEFAULT_CHUNK_SIZE = 20;
/** The gateway's default MAX_INVITATIONS_PER_REQUEST. */
export const MAX_CHUNK_SIZE = 100;

export const USAGE = `Usage: clerk-invite [options] <file.csv>
       npm run invite -- [options] <file.csv>

Invites every address in a CSV file through the invitation gateway, in chunks,
waiting out Clerk's hourly limits. Resumable: rerun the same command to continue.

Options:
  --url <url>         GraphQL endpoint (default: $GATEWAY_URL or ${DEFAULT_URL})
  --key <key>         API key, sent as a Bearer token (default: $GATEWAY_API_KEY)
  --out <file>        result CSV (default: <file.csv>.results.csv)
  --chunk-size <n>    rows per createInvitations request, 1-${MAX_CHUNK_SIZE} (default: ${DEFAULT_CHUNK_SIZE})
  --limit <n>         send at most n rows in this run
  --retry-unknown     resend rows whose outcome is unknown, with ignoreExisting off
                      so Clerk refuses a second invitation
  --dry-run           check the rows and show what a run would send; send nothing
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

Exit status: 0 every row created, 1 some row not created, 2 usage or file error.
With --dry-run: 0 every row valid, 1 some row invalid.`;

export interface CliOptions {
  file: string;
  url: string;
  apiKey: string | undefined;
  out: string;
  statePath: string;
  chunkSize: number;
  limit: number | undefined;
  retryUnknown: boolean;
  dryRun: boolean;
  quiet: boolean;
}

export type ParsedArgs = { kind: 'run'; options: CliOptions } | { kind: 'help' } | { kind: 'usage-error'; message: string };

function positiveInt(name: string, raw: string | undefined, max = Number.MAX_SAFE_INTEGER): number | string | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max) return `--${name} must be a whole number from 1 to ${max} (got "${raw}")`;
  return value;
}

/** Reads argv and the environment; never exits, so it can be tested. */
export function parseCliArgs(argv: string[], env: Record<string, string | undefined> = process.env): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        key: { type: 'string' },
        out: { type: 'string' },
        'chunk-size': { type: 'string' },
        limit: { type: 'string' },
        'retry-unknown': { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return { kind: 'usage-error', message: (error as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (positionals.length !== 1) {
    return { kind: 'usage-error', message: positionals.length === 0 ? 'no CSV file given' : `one CSV file at a time (got ${positionals.length})` };
  }
  const file = positionals[0]!;
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
  return {
    kind: 'run',
    options: {
      file,
      url,
      apiKey: values.key ?? (env.GATEWAY_API_KEY || undefined),
      out: values.out ?? `${file}.results.csv`,
      statePath: `${file}.state.json`,
      chunkSize,
      limit,
      retryUnknown: values['retry-unknown'],
      dryRun: values['dry-run'],
      quiet: values.quiet,
    },
  };
}
