/**
 * `clerk-invite --queue` end to end: the real CLI code (in process) over real HTTP against an in-process
 * gateway with its in-memory queue and the emulator. Progress comes over the job's event stream as the
 * gateway serves it; one run has that stream refused, and the tool follows by polling instead. The same
 * runs go against an in-memory queue and a Redis queue whose budget window is 3 s.
 */
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../tools/invite-csv/cli.ts';
import type { Progress, Reporter } from '../../tools/invite-csv/run-invites.ts';
import { redisReachable, REDIS_URL } from '../support/redis.ts';
import { startStack, type Stack, type StackOptions } from '../support/stack.ts';
import { buildFixture, EXISTING_USER, PRE_INVITED, readResultCsv, testApiKey } from './invite-csv-fixture.ts';

const { key, entry } = testApiKey('csv-queue');
const { csv, expected } = buildFixture();

const redisUp = await redisReachable('invite-csv-queue');
// Redis: "an hour" of 3 s holding 3 bulk and 6 single calls (36 invitations), so the tool follows the
// jobs across several budget windows, with progress relayed through Redis.
const WINDOW = { text: '3s', ms: 3_000, bulk: 3, single: 6 };
const GATEWAYS: [string, StackOptions | undefined][] = [
  ['an in-memory queue', { env: {} }],
  ['a Redis queue and a 3 s budget window', redisUp
    ? {
        env: { REDIS_URL, UPSTREAM_BULK_PER_HOUR: String(WINDOW.bulk), UPSTREAM_SINGLE_PER_HOUR: String(WINDOW.single), UPSTREAM_BUDGET_WINDOW: WINDOW.text, QUEUE_LOCK_MS: '5000' },
        emulator: { limits: { bulkPerHour: WINDOW.bulk, singlePerHour: WINDOW.single, windowMs: WINDOW.ms * 0.9 } },
      }
    : undefined],
];

let stack: Stack;
let server: Server;
let url: string;
let dir: string;

async function startGateway(options: StackOptions) {
  stack = await startStack({
    ...options,
    // Jobs smaller than the tool's default, so it must find the gateway's limit from its refusal.
    env: { GATEWAY_API_KEYS: entry, BATCH_WINDOW_MS: '10', BATCH_WINDOW_MAX_MS: '200', UPSTREAM_GENERAL_PER_10S: '1000', MAX_INVITATIONS_PER_JOB: '100', ...(options.env as Record<string, string>) },
  });
  stack.emulator.seedUsers([EXISTING_USER]);
  stack.emulator.seedInvitations([{ emailAddress: PRE_INVITED }]);
  server = createServer(stack.app.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  dir = await mkdtemp(join(tmpdir(), 'invite-csv-queue-'));
}

async function stopGateway() {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}

interface Seen {
  operations: string[];
  streams: number;
}

/** Runs `GATEWAY_API_KEY=… clerk-invite --url … …args`, recording the operations it sent and the progress it showed. */
async function invite(args: string[], options: { refuseStreams?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const progress: Progress[] = [];
  const seen: Seen = { operations: [], streams: 0 };
  const reporter: Reporter = { start: (p) => progress.push(p), progress: (p) => progress.push(p), log: (m) => err.push(m), stop() {} };
  const code = await runCli(['--url', url, ...args], {
    env: { GATEWAY_API_KEY: key, CLERK_INVITE_POLL_MS: '100' },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    reporter: () => reporter,
    fetch: async (input, init) => {
      const body = JSON.parse(String(init?.body ?? '{}')) as { query?: string };
      seen.operations.push(/^(?:query|mutation|subscription) (\w+)/.exec(body.query ?? '')?.[1] ?? '?');
      if (new Headers(init?.headers).get('accept') === 'text/event-stream') {
        seen.streams += 1;
        if (options.refuseStreams) return new Response('no streams here', { status: 503 });
      }
      return fetch(input, init);
    },
  });
  return { code, out: out.join('\n'), err: err.join('\n'), progress, seen };
}

const results = async (path: string) => readResultCsv(await readFile(path, 'utf8'));
const createdFor = (email: string) => stack.emulator.invitations().filter((i) => i.emailAddress === email.toLowerCase());

describe.each(GATEWAYS)('clerk-invite --queue against %s', (_name, options) => {
  beforeAll(async () => {
    if (options) await startGateway(options);
  });
  afterAll(() => (options ? stopGateway() : undefined));
  const file = () => join(dir, 'people.csv');

  it.skipIf(!options)('queues the 150-row file in jobs of the gateway\'s size, follows them over the event stream to the end, and settles every row', { timeout: 90_000 }, async () => {
    await writeFile(file(), csv);
    // Clerk answers each call after 300 ms, so both jobs are still open when the follow subscribes.
    stack.emulator.faults.add({ route: 'bulk', fault: 'latency', latencyMs: 300 });
    const run = await invite(['--queue', '--follow', file()]).finally(() => stack.emulator.faults.clear());
    expect(run.err).not.toMatch(/polling/);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/the gateway takes at most 100 rows per job; queuing them as 2 jobs/);
    expect(run.out).toMatch(/^job \S+: lines 2-\d+ \(100 rows\)\njob \S+: lines \d+-151 \(42 rows\)$/m);
    // One refused for its size (nothing queued), then the two jobs.
    expect(run.seen.operations.filter((op) => op === 'SubmitInvitations')).toHaveLength(3);
    expect(run.seen.streams).toBe(2);
    // The stream pushed the job's counts as its calls settled, ending at the finished job.
    expect(run.progress.length).toBeGreaterThan(2);
    expect(run.progress.at(-1)).toMatchObject({ total: 142, created: 140, failed: 2, waiting: 0 });

    const rows = await results(`${file()}.results.csv`);
    expect(rows.map((r) => Number(r.line))).toEqual(expected.map((e) => e.line));
    for (const want of expected) {
      const got = rows[want.line - 2]!;
      expect(got.outcome, `line ${want.line}`).toBe(want.outcome);
      if (want.problem) expect(got.message).toContain(want.problem);
      if (want.outcome === 'CREATED') {
        const stored = createdFor(want.emailAddress);
        expect(stored, want.emailAddress).toHaveLength(1);
        expect(got.invitationId).toBe(stored[0]!.id);
      }
    }
    expect(run.out).toMatch(/150 rows: 140 created, 10 not created \(1 ALREADY_INVITED, 8 INVALID_INPUT, 1 USER_EXISTS\)/);
    // The state file now knows the outcomes: a direct run would send nothing again.
    const direct = await invite(['--dry-run', '--quiet', file()]);
    expect(direct.out).toMatch(/142 settled by an earlier run; 0 to send/);
    const requeue = await invite(['--queue', '--quiet', file()]);
    expect(requeue.seen.operations).not.toContain('SubmitInvitations');
  });

  it.skipIf(!options)('does not queue a file twice: not with its jobs file, and not without it (same idempotency keys)', { timeout: 60_000 }, async () => {
    const again = join(dir, 'again.csv');
    await writeFile(again, ['emailAddress', ...Array.from({ length: 20 }, (_, i) => `again${i}@example.com`)].join('\n') + '\n');
    const jobs = async () => (await stack.request('query { invitationJobs(first: 100) { edges { node { id } } } }')).body.data.invitationJobs.edges.length as number;
    const first = await invite(['--queue', '--quiet', again]);
    expect(first.code).toBe(0);
    const jobsAfterFirst = await jobs();
    const recorded = JSON.parse(await readFile(`${again}.jobs.json`, 'utf8')) as { jobs: { id: string; idempotencyKey: string }[] };
    expect(recorded.jobs).toHaveLength(1);
    expect(first.seen.operations.filter((op) => op === 'SubmitInvitations')).toHaveLength(1);

    const rerun = await invite(['--queue', '--quiet', again]);
    expect(rerun.code).toBe(0);
    expect(rerun.out).toContain(`job ${recorded.jobs[0]!.id}: lines 2-21 (20 rows) (queued before)`);
    expect(rerun.seen.operations).not.toContain('SubmitInvitations');

    // The jobs file lost (a crash before it was written, another checkout): the same rows go under the same key.
    await unlink(`${again}.jobs.json`);
    const lost = await invite(['--queue', '--quiet', again]);
    expect(lost.seen.operations.filter((op) => op === 'SubmitInvitations')).toHaveLength(1);
    const rerecorded = JSON.parse(await readFile(`${again}.jobs.json`, 'utf8')) as typeof recorded;
    expect(rerecorded.jobs.map((job) => [job.id, job.idempotencyKey])).toEqual(recorded.jobs.map((job) => [job.id, job.idempotencyKey]));
    expect(await jobs()).toBe(jobsAfterFirst);

    const followed = await invite(['--follow', '--quiet', again]);
    expect(followed.code).toBe(0);
    for (let i = 0; i < 20; i++) expect(createdFor(`again${i}@example.com`), `again${i}`).toHaveLength(1);
  });

  it.skipIf(!options)('queues without following, then follows by file and by job id, polling when the stream is refused', { timeout: 60_000 }, async () => {
    const clean = join(dir, 'clean.csv');
    await writeFile(clean, ['emailAddress', ...Array.from({ length: 30 }, (_, i) => `clean${i}@example.com`)].join('\n') + '\n');
    // Clerk answers slowly, so the jobs are still open when the follow starts and must be polled.
    stack.emulator.faults.add({ route: 'bulk', fault: 'latency', latencyMs: 2_000 });
    const queued = await invite(['--queue', '--job-size', '12', '--quiet', clean]);
    expect(queued.code).toBe(0);
    const ids = [...queued.out.matchAll(/^job (\S+): lines (\d+)-(\d+)/gm)].map((m) => [m[1]!, Number(m[2]), Number(m[3])] as const);
    expect(ids.map(([, from, to]) => [from, to])).toEqual([[2, 13], [14, 25], [26, 31]]);
    expect(queued.out).toMatch(/Follow with: clerk-invite --follow/);

    // A direct run refuses a file whose jobs are open: its rows would go out twice.
    const direct = await invite(['--quiet', clean]);
    expect(direct.code).toBe(2);
    expect(direct.err).toMatch(/was queued as jobs/);

    const followed = await invite(['--follow', clean], { refuseStreams: true });
    stack.emulator.faults.clear();
    expect(followed.err).toMatch(/progress stream ended .*polling/);
    expect(followed.code).toBe(0);
    expect((await results(`${clean}.results.csv`)).map((r) => r.outcome)).toEqual(Array(30).fill('CREATED'));

    const out = join(dir, 'by-id.csv');
    const byId = await invite(['--job', ids[1]![0], '--job', ids[2]![0], '--out', out, '--quiet']);
    expect(byId.code).toBe(0);
    const rows = await results(out);
    expect(rows.map((r) => [Number(r.line), r.emailAddress])).toEqual(Array.from({ length: 18 }, (_, i) => [i + 1, `clean${i + 12}@example.com`]));
  });

  it.skipIf(!options)('exits 3 when the gateway cannot be reached, and 2 for a job the key does not own', async () => {
    const nowhere = await runCli(['--url', 'http://127.0.0.1:9/graphql', '--job', 'job_x', '--out', join(dir, 'x.csv')], {
      env: { GATEWAY_API_KEY: key, CLERK_INVITE_POLL_MS: '1' },
      out: () => undefined,
      err: () => undefined,
      sleep: async () => undefined,
    });
    expect(nowhere).toBe(3);
    const unknown = await invite(['--job', 'job_not_mine', '--out', join(dir, 'y.csv'), '--quiet']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/knows no job job_not_mine/);
  });
});
