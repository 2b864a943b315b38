/**
 * The parts of `clerk-invite --queue` that need no gateway: options, jobs and their keys, the gateway's
 * job limit read from its refusal, the combined progress line, and the progress stream read from a tiny
 * local server that speaks server-sent events the way yoga does, then breaks off.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SIZE, parseCliArgs } from '../../tools/invite-csv/args.ts';
import { fingerprintOf } from '../../tools/invite-csv/csv-rows.ts';
import { combineProgress } from '../../tools/invite-csv/follow-jobs.ts';
import { createQueueClient, type JobSnapshot } from '../../tools/invite-csv/queue-client.ts';
import { fileDigest, idempotencyKeyFor, jobLimitFrom, planChunks } from '../../tools/invite-csv/queue-plan.ts';
import type { ValidRow } from '../../tools/invite-csv/types.ts';
import { JobsFile } from '../../tools/invite-csv/jobs-file.ts';
import type { JobCall, QueueClient } from '../../tools/invite-csv/queue-client.ts';
import { recordedJobs, submitJobs } from '../../tools/invite-csv/submit-jobs.ts';

const rows = (n: number, from = 0): ValidRow[] =>
  Array.from({ length: n }, (_, i) => {
    const input = { emailAddress: `p${from + i}@x.io` };
    return { line: from + i + 2, key: input.emailAddress, input, fingerprint: fingerprintOf(input) };
  });

describe('queue options', () => {
  const run = (argv: string[]) => parseCliArgs(argv, {});
  it('reads --queue, --follow, --job and --job-size', () => {
    expect(run(['--queue', 'a.csv'])).toMatchObject({ kind: 'run', options: { queue: true, follow: false, jobSize: DEFAULT_JOB_SIZE, jobsPath: 'a.csv.jobs.json' } });
    expect(run(['--queue', '--follow', '--job-size', '500', 'a.csv'])).toMatchObject({ kind: 'run', options: { queue: true, follow: true, jobSize: 500 } });
    expect(run(['--follow', 'a.csv'])).toMatchObject({ kind: 'run', options: { queue: false, follow: true } });
    expect(run(['--job', 'job_1', '--job', 'job_2'])).toMatchObject({ kind: 'run', options: { follow: true, jobIds: ['job_1', 'job_2'], out: 'jobs.results.csv' } });
  });

  it('refuses what does not go with the queue modes, naming the option', () => {
    const refusals: [string[], RegExp][] = [
      [['--queue', '--limit', '5', 'a.csv'], /--limit applies to a direct run/],
      [['--queue', '--chunk-size', '5', 'a.csv'], /use --job-size/],
      [['--follow', '--retry-unknown', 'a.csv'], /--retry-unknown/],
      [['--follow', '--dry-run', 'a.csv'], /--dry-run goes with --queue/],
      [['--job', 'job_1', 'a.csv'], /without a CSV file/],
      [['--job', 'job_1', '--queue'], /--job and --queue/],
      [['--job-size', '10', 'a.csv'], /--job-size needs --queue/],
      [['--queue', '--job-size', '0', 'a.csv'], /--job-size must be a whole number/],
      [['--queue'], /no CSV file given/],
    ];
    for (const [argv, message] of refusals) expect(run(argv), argv.join(' ')).toEqual({ kind: 'usage-error', message: expect.stringMatching(message) });
  });
});

describe('planChunks and idempotency keys', () => {
  const sha = fileDigest('emailAddress\np0@x.io\n');

  it('cuts the rows into jobs of the job size, in file order, each with its lines', () => {
    const chunks = planChunks(rows(25), 10, sha);
    expect(chunks.map((c) => c.lines.length)).toEqual([10, 10, 5]);
    expect(chunks[1]!.lines).toEqual(Array.from({ length: 10 }, (_, i) => 12 + i));
    expect(chunks[2]!.invitations.map((i) => i.emailAddress)).toEqual(['p20@x.io', 'p21@x.io', 'p22@x.io', 'p23@x.io', 'p24@x.io']);
    expect(planChunks([], 10, sha)).toEqual([]);
    expect(() => planChunks(rows(1), 0, sha)).toThrow(RangeError);
  });

  it('gives the same key to the same job of the same file, and another to any change', () => {
    const keys = planChunks(rows(25), 10, sha).map((c) => c.idempotencyKey);
    expect(planChunks(rows(25), 10, sha).map((c) => c.idempotencyKey)).toEqual(keys);
    expect(new Set(keys).size).toBe(3);
    for (const key of keys) expect(key).toMatch(/^[\x21-\x7e]{1,255}$/); // the gateway's form: printable, at most 255
    const items = rows(10).map((r) => r.input);
    expect(idempotencyKeyFor(sha, 0, items)).toBe(keys[0]);
    expect(idempotencyKeyFor(fileDigest('another file'), 0, items)).not.toBe(keys[0]);
    expect(idempotencyKeyFor(sha, 1, items)).not.toBe(keys[0]);
    expect(idempotencyKeyFor(sha, 0, [{ ...items[0]!, expiresInDays: 7 }, ...items.slice(1)])).not.toBe(keys[0]);
  });

  it('reads the gateway job limit from its refusal', () => {
    expect(jobLimitFrom('invitations: at most 2000 per job (got 10000); submit several jobs.')).toBe(2000);
    expect(jobLimitFrom('too many', { maxInvitationsPerJob: 300 })).toBe(300);
    expect(jobLimitFrom('invitations: must not be empty')).toBeUndefined();
  });
});

const snapshot = (over: Partial<JobSnapshot>): JobSnapshot => ({
  id: 'job_1', state: 'RUNNING', total: 10, createdCount: 0, failedCount: 0, pendingCount: 10,
  createdAt: '2026-01-01T00:00:00.000Z', finishedAt: null, estimatedCompletionAt: null, ...over,
});

describe('combineProgress', () => {
  it('adds up the jobs, and takes the ETA from the latest unfinished one', () => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    const progress = combineProgress(
      [
        snapshot({ id: 'a', createdCount: 4, failedCount: 1, pendingCount: 5, estimatedCompletionAt: '2026-01-01T00:10:00.000Z' }),
        snapshot({ id: 'b', createdCount: 2, pendingCount: 8, estimatedCompletionAt: '2026-01-01T00:40:00.000Z' }),
        snapshot({ id: 'c', state: 'DONE', createdCount: 10, pendingCount: 0, estimatedCompletionAt: '2026-01-02T00:00:00.000Z' }),
      ],
      now,
    );
    expect(progress).toEqual({ total: 30, created: 16, failed: 1, waiting: 13, eta: { ms: 40 * 60_000, atLeast: false }, at: now });
    expect(combineProgress([snapshot({ state: 'DONE', pendingCount: 0 })], now).eta).toEqual({ ms: 0, atLeast: false });
    expect(combineProgress([snapshot({})], now).eta).toBeUndefined();
  });
});

describe('the progress stream', () => {
  let server: Server;
  let url: string;
  const seen: { accept?: string; authorization?: string; body?: string }[] = [];
  /** What the server writes to each stream, then it breaks the connection. */
  let frames: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push({ accept: req.headers.accept, authorization: req.headers.authorization, body });
        res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'keep-alive' });
        for (const frame of frames) res.write(frame);
        setTimeout(() => res.destroy(), 20);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const next = (job: Partial<JobSnapshot>) => `event: next\ndata: ${JSON.stringify({ data: { invitationJobProgress: { __typename: 'InvitationJob', ...snapshot(job) } } })}\n\n`;

  it('yields each pushed snapshot, split across writes and with keep-alive comments, and ends at complete', async () => {
    const whole = `:\n\n${next({ pendingCount: 10 })}${next({ createdCount: 10, pendingCount: 0, state: 'DONE' })}event: complete\ndata:\n\n`;
    frames = [whole.slice(0, 17), whole.slice(17, 101), whole.slice(101)];
    const client = createQueueClient({ url, apiKey: 'gk_secret' });
    const got: JobSnapshot[] = [];
    for await (const s of client.progress('job_1', new AbortController().signal)) got.push(s);
    expect(got.map((s) => [s.state, s.pendingCount])).toEqual([['RUNNING', 10], ['DONE', 0]]);
    expect(seen.at(-1)!.accept).toBe('text/event-stream');
    expect(seen.at(-1)!.authorization).toBe('Bearer gk_secret');
    expect(JSON.parse(seen.at(-1)!.body!)).toMatchObject({ query: expect.stringMatching(/^subscription InvitationJobProgress/), variables: { id: 'job_1' } });
  });

  it('throws when the stream breaks off before it completes, after yielding what came', async () => {
    frames = [next({ pendingCount: 10 })];
    const client = createQueueClient({ url });
    const got: JobSnapshot[] = [];
    const reading = (async () => {
      for await (const s of client.progress('job_1', new AbortController().signal)) got.push(s);
    })();
    await expect(reading).rejects.toThrow();
    expect(got).toHaveLength(1);
  });

  it('throws when the stream is refused, so the follow falls back to polling', async () => {
    const client = createQueueClient({ url: 'http://127.0.0.1:9/graphql' });
    await expect((async () => {
      for await (const _ of client.progress('job_1', new AbortController().signal)) void _;
    })()).rejects.toThrow(/progress stream refused/);
  });
});

describe('submitJobs', () => {
  const sha = fileDigest('x');
  const setup = (answers: JobCall<JobSnapshot>[]) => {
    const list = rows(25);
    const jobsFile = JobsFile.create('/nonexistent/dir/a.csv.jobs.json', 'http://gw/graphql', sha, 10, recordedJobs(list, 10, sha));
    jobsFile.save = async () => undefined;
    const keys: string[] = [];
    const client = {
      async submit(_items: unknown, key: string) {
        keys.push(key);
        return answers.shift() ?? { kind: 'ok', value: snapshot({ id: `job_${keys.length}` }) };
      },
    } as unknown as QueueClient;
    const out: string[] = [];
    const io = { env: {}, out: (l: string) => out.push(l), err: (l: string) => out.push(l), sleep: async () => undefined };
    return { run: () => submitJobs({ jobsFile, rowsByLine: new Map(list.map((r) => [r.line, r])), client, io }), jobsFile, keys, out };
  };

  it('records each id as the gateway accepts the job, and stops at a lost answer without guessing', async () => {
    const { run, jobsFile, keys } = setup([{ kind: 'ok', value: snapshot({ id: 'job_a' }) }, { kind: 'unknown', reason: 'socket hang up' }]);
    const report = await run();
    expect(report).toMatchObject({ stopKind: 'unreachable', stoppedBecause: expect.stringMatching(/same command/) });
    expect(jobsFile.jobs.map((j) => j.id)).toEqual(['job_a', undefined, undefined]);
    // The rerun sends the second job under the key it had.
    const again = await submitJobs({ jobsFile, rowsByLine: new Map(rows(25).map((r) => [r.line, r])), client: { submit: async (_i: unknown, key: string) => (keys.push(key), { kind: 'ok', value: snapshot({ id: `job_${key.slice(-4)}` }) }) } as unknown as QueueClient, io: { env: {}, out() {}, err() {} } });
    expect(again.submitted).toHaveLength(3);
    expect(keys[1]).toBe(keys[2]);
  });

  it('stops for the caller limit (exit 3) and for a job larger than the whole limit (exit 2, naming --job-size)', async () => {
    const limited = await setup([{ kind: 'refused', retryAfterMs: 3_600_000, rateLimited: true, reason: 'RATE_LIMITED: too many' }]).run();
    expect(limited).toMatchObject({ stopKind: 'unreachable', submitted: [] });
    const oversized = await setup([{ kind: 'fatal', reason: 'RATE_LIMITED: this call counts 10 and the limit is 5. Use --chunk-size 5 or less.' }]).run();
    expect(oversized).toMatchObject({ stopKind: 'refused', stoppedBecause: expect.stringContaining('--job-size 5') });
  });

  it('re-plans with the gateway job limit when the first job is refused for its size', async () => {
    const { run, jobsFile } = setup([{ kind: 'fatal', reason: 'BAD_USER_INPUT', error: { message: 'invitations: at most 4 per job (got 10); submit several jobs.', extensions: { code: 'BAD_USER_INPUT' } } }]);
    const report = await run();
    expect(report.stoppedBecause).toBeUndefined();
    expect(jobsFile.jobs.map((j) => j.lines.length)).toEqual([4, 4, 4, 4, 4, 4, 1]);
    expect(jobsFile.jobs.every((j) => j.id)).toBe(true);
  });
});
