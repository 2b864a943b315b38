import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InvitationInput } from '../../client/generated/graphql.js';
import { fingerprintOf } from '../../tools/invite-csv/csv-rows.ts';
import { EtaEstimator, formatDuration, formatEstimate } from '../../tools/invite-csv/eta.ts';
import { createGatewayClient, type GatewayClient, type InvitationResult, type SendOutcome } from '../../tools/invite-csv/gateway-client.ts';
import type { PlannedRow } from '../../tools/invite-csv/plan.ts';
import { barReporter, describeProgress, lineReporter, type ProgressParts, renderProgressLine, silentReporter, StatusLine } from '../../tools/invite-csv/progress.ts';
import { runInvites } from '../../tools/invite-csv/run-invites.ts';
import { StateStore } from '../../tools/invite-csv/state-store.ts';

describe('EtaEstimator', () => {
  it('is unknown before anything settles, then adds the wait in progress to the measured pace', () => {
    let now = 0;
    const eta = new EtaEstimator(() => now);
    expect(eta.estimate(100)).toBeUndefined();
    now = 10_000;
    eta.settle(10); // 1 s a row so far
    expect(eta.estimate(90)).toEqual({ ms: 90_000, atLeast: false });
    eta.waitUntil(now + 3_600_000);
    now += 600_000; // 10 minutes into the wait: the pace is still measured up to the wait's start
    expect(eta.estimate(90)).toEqual({ ms: 3_000_000 + 90_000, atLeast: false });
    now += 3_000_000;
    eta.resumed();
    // After the wait, the hour it cost is part of the pace: 3 610 s for 10 rows.
    expect(eta.estimate(90)!.ms).toBe(90 * 361_000);
    expect(eta.estimate(0)).toEqual({ ms: 0, atLeast: false });
  });

  it('is a lower bound while the first wait runs', () => {
    let now = 0;
    const eta = new EtaEstimator(() => now);
    eta.waitUntil(60_000);
    now = 15_000;
    expect(formatEstimate(eta.estimate(5))).toBe('>45s');
    expect([formatDuration(7_500_000), formatDuration(187_000), formatDuration(400)]).toEqual(['2h 05m', '3m 07s', '0s']);
  });
});

const created = (email: string, id: string): InvitationResult => ({
  __typename: 'InvitationCreated',
  invitation: { id, emailAddress: email, status: 'PENDING', url: null, expiresAt: null, createdAt: '2026-01-01T00:00:00.000Z' },
});
const failedWith = (email: string, code: string, retryable: boolean, retryAfterSeconds: number | null = null): InvitationResult => ({
  __typename: 'InvitationFailed', emailAddress: email, code: code as never, message: `${code} for ${email}`, retryable, retryAfterSeconds, clerkTraceId: null,
});

describe('createGatewayClient', () => {
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    (async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })) as typeof fetch;
  const send = (fetchImpl: typeof fetch, items: InvitationInput[] = [{ emailAddress: 'a@x.io' }]) =>
    createGatewayClient({ url: 'http://gw/graphql', apiKey: 'k', fetch: fetchImpl }).send(items);

  it('sends the generated document with the key as a Bearer token', async () => {
    let seen: { headers: Headers; body: { query: string; variables: unknown } } | undefined;
    const outcome = await send(async (_url, init) => {
      seen = { headers: new Headers(init?.headers), body: JSON.parse(String(init?.body)) };
      return new Response(JSON.stringify({ data: { createInvitations: { createdCount: 1, failedCount: 0, results: [created('a@x.io', 'inv_1')] } } }));
    });
    expect(outcome).toEqual({ kind: 'answered', results: [created('a@x.io', 'inv_1')] });
    expect(seen!.headers.get('authorization')).toBe('Bearer k');
    expect(seen!.body.query).toMatch(/^mutation CreateInvitations\(\$invitations: \[InvitationInput!\]!\)/);
    expect(seen!.body.variables).toEqual({ invitations: [{ emailAddress: 'a@x.io' }] });
  });

  it('tells "nothing was done" apart from "may have been done"', async () => {
    const gqlError = (code: string, message = code, extra = {}) => ({ errors: [{ message, extensions: { code, ...extra } }] });
    const cases: [typeof fetch, Partial<SendOutcome>][] = [
      [answer(429, gqlError('RATE_LIMITED', 'too often', { retryAfterSeconds: 42 })), { kind: 'refused', retryAfterMs: 42_000, rateLimited: true }],
      [answer(429, gqlError('RATE_LIMITED', "You are trying to access 'createInvitations' too often: this call counts 20 and the limit is 10 per window")), { kind: 'fatal' }],
      [answer(503, gqlError('SERVICE_UNAVAILABLE'), { 'retry-after': '3' }), { kind: 'refused', retryAfterMs: 3_000, rateLimited: false }],
      [answer(401, gqlError('UNAUTHENTICATED', 'Authentication required')), { kind: 'fatal', reason: expect.stringMatching(/GATEWAY_API_KEY or pass --key-file/) }],
      [answer(400, gqlError('GRAPHQL_VALIDATION_FAILED')), { kind: 'fatal' }],
      [answer(404, 'Not Found'), { kind: 'fatal', reason: expect.stringMatching(/is --url/) }],
      [answer(500, gqlError('INTERNAL_SERVER_ERROR', 'Unexpected error.')), { kind: 'unknown' }],
      [answer(502, '<html>bad gateway</html>'), { kind: 'unknown' }],
      [answer(200, { data: { createInvitations: { createdCount: 0, failedCount: 0, results: [] } } }), { kind: 'unknown', reason: expect.stringMatching(/0 results for 1 rows/) }],
      [async () => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })), { kind: 'refused', rateLimited: false }],
      [async () => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } })), { kind: 'unknown' }],
    ];
    for (const [fetchImpl, expected] of cases) expect(await send(fetchImpl)).toMatchObject(expected);
  });
});

describe('runInvites', () => {
  let dir: string;
  let state: StateStore;
  let now: number;
  const sleeps: number[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'invite-run-'));
    state = await StateStore.open(join(dir, 's.json'), 'http://gw/graphql');
    now = 1_000_000;
    sleeps.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const rows = (n: number): PlannedRow[] =>
    Array.from({ length: n }, (_, i) => {
      const input = { emailAddress: `p${i}@x.io` };
      return { line: i + 2, key: input.emailAddress, input, fingerprint: fingerprintOf(input), recheck: false };
    });
  /** A client that answers from a script, one entry per request, and records what each request saw in the state. */
  const scripted = (script: ((items: InvitationInput[]) => SendOutcome)[]) => {
    const seen: { items: string[]; statesBefore: (string | undefined)[] }[] = [];
    const client: Pick<GatewayClient, 'send'> = {
      async send(items) {
        seen.push({ items: items.map((i) => i.emailAddress), statesBefore: items.map((i) => state.get(i.emailAddress)?.outcome) });
        const next = script.shift();
        if (!next) throw new Error('unexpected request');
        return next(items);
      },
    };
    return { client, seen };
  };
  const run = (list: PlannedRow[], client: Pick<GatewayClient, 'send'>, chunkSize = 3) =>
    runInvites({ rows: list, state, client, chunkSize, reporter: silentReporter, now: () => now, sleep: async (ms) => void (sleeps.push(ms), (now += ms)) });
  const allCreated = (items: InvitationInput[]): SendOutcome => ({ kind: 'answered', results: items.map((i) => created(i.emailAddress, `inv_${i.emailAddress}`)) });

  it('marks rows SENDING before the request, waits the longest retryAfterSeconds and resends only rate-limited rows', async () => {
    const { client, seen } = scripted([
      (items) => ({ kind: 'answered', results: [created(items[0]!.emailAddress, 'inv_0'), failedWith(items[1]!.emailAddress, 'RATE_LIMITED', true, 30), failedWith(items[2]!.emailAddress, 'RATE_LIMITED', true, 90)] }),
      allCreated,
      allCreated,
    ]);
    const report = await run(rows(5), client);
    expect(seen.map((s) => s.items)).toEqual([['p0@x.io', 'p1@x.io', 'p2@x.io'], ['p1@x.io', 'p2@x.io', 'p3@x.io'], ['p4@x.io']]);
    expect(seen[0]!.statesBefore).toEqual(['SENDING', 'SENDING', 'SENDING']);
    expect(sleeps).toEqual([90_000]);
    expect(report.results.map((r) => r.outcome)).toEqual(Array(5).fill('CREATED'));
    expect(state.get('p1@x.io')).toMatchObject({ outcome: 'CREATED', invitationId: 'inv_p1@x.io' });
  });

  it('gives transient failures a few tries, then records them as failed', async () => {
    const transient = (items: InvitationInput[]): SendOutcome => ({ kind: 'answered', results: items.map((i) => failedWith(i.emailAddress, 'UPSTREAM_ERROR', true, 1)) });
    const { client, seen } = scripted([transient, transient, transient]);
    const report = await runInvites({ rows: rows(1), state, client, chunkSize: 3, reporter: silentReporter, now: () => now, sleep: async (ms) => void (now += ms), maxAttempts: 3 });
    expect(seen).toHaveLength(3);
    expect(report.results[0]).toMatchObject({ outcome: 'UPSTREAM_ERROR' });
  });

  it('puts rows back as they were when the gateway refused the whole request, and waits', async () => {
    state.set('p0@x.io', { line: 2, fingerprint: 'f', outcome: 'RATE_LIMITED', retryable: true });
    const { client } = scripted([() => ({ kind: 'refused', retryAfterMs: 5_000, rateLimited: true, reason: 'caller limit' }), allCreated]);
    const report = await run(rows(2), client);
    expect(sleeps).toEqual([5_000]);
    expect(report.results.map((r) => r.outcome)).toEqual(['CREATED', 'CREATED']);
  });

  it('stops on a fatal answer with the rows NOT_SENT, and on an unknown one with the rows OUTCOME_UNKNOWN', async () => {
    const fatal = await run(rows(4), scripted([() => ({ kind: 'fatal', reason: 'UNAUTHENTICATED' })]).client);
    expect([fatal.stoppedBecause, fatal.stopKind]).toEqual(['UNAUTHENTICATED', 'refused']);
    expect(fatal.results.map((r) => r.outcome)).toEqual(Array(4).fill('NOT_SENT'));
    // Never sent: recorded as such, not as SENDING, so a rerun sends them like any other row.
    expect(state.get('p0@x.io')).toMatchObject({ outcome: 'NOT_SENT', retryable: true });

    const unknown = await run(rows(4), scripted([() => ({ kind: 'unknown', reason: 'socket hang up' })]).client);
    expect(unknown.stoppedBecause).toMatch(/3 rows of that request may or may not have been invited/);
    expect(unknown.results.map((r) => r.outcome)).toEqual(['OUTCOME_UNKNOWN', 'OUTCOME_UNKNOWN', 'OUTCOME_UNKNOWN', 'NOT_SENT']);
    expect(unknown.stopKind).toBe('unreachable');
    expect(state.get('p2@x.io')?.outcome).toBe('OUTCOME_UNKNOWN');
  });

  it('stops between requests when asked, leaving unsent rows NOT_SENT in the results and the state file', async () => {
    const stop = new AbortController();
    const { client } = scripted([(items) => (stop.abort(), allCreated(items))]);
    const report = await runInvites({ rows: rows(5), state, client, chunkSize: 2, reporter: silentReporter, now: () => now, stopSignal: stop.signal });
    expect([report.stoppedBecause, report.stopKind]).toEqual(['interrupted', 'interrupted']);
    expect(report.results.map((r) => r.outcome)).toEqual(['CREATED', 'CREATED', 'NOT_SENT', 'NOT_SENT', 'NOT_SENT']);
    const saved = await StateStore.open(state.path, 'http://gw/graphql');
    expect(['p2@x.io', 'p3@x.io', 'p4@x.io'].map((k) => saved.get(k)?.outcome)).toEqual(['NOT_SENT', 'NOT_SENT', 'NOT_SENT']);
  });

  it('reports progress with the wait and an ETA', async () => {
    const lines: string[] = [];
    const { client } = scripted([
      (items) => ({ kind: 'answered', results: [created(items[0]!.emailAddress, 'i'), failedWith(items[1]!.emailAddress, 'RATE_LIMITED', true, 3600)] }),
      allCreated,
    ]);
    await runInvites({ rows: rows(2), state, client, chunkSize: 2, reporter: lineReporter((l) => lines.push(l)), now: () => (now += 1000), sleep: async (ms) => void (now += ms) });
    expect(lines.slice(0, 2)).toEqual(['sending 2 rows', '1 row rate limited and not sent; retrying in 1h 00m']);
    expect(lines).toContainEqual(expect.stringMatching(/^1\/2 settled: created 1, failed 0, waiting 1; ETA 1h 00m; rate limited: resuming in 59m 5\ds \(at .+\)$/));
    expect(lines.at(-1)).toMatch(/^2\/2 settled: created 2, failed 0, waiting 0; ETA 0s$/);
    expect(describeProgress({ total: 1, created: 0, failed: 0, waiting: 1, eta: { ms: 60_000, atLeast: true }, at: 0, resumeAt: 60_000, waitReason: 'rate limited' }, 20_000)).toMatchObject({ eta: '>40s', note: expect.stringMatching(/^rate limited: resuming in 40s/) });
  });
});

describe('the progress line on a terminal', () => {
  const waiting = { total: 12_345, created: 10_000, failed: 1_234, waiting: 1_111, eta: { ms: 7_500_000, atLeast: false }, at: 0, resumeAt: 3_598_000, waitReason: 'rate limited' };
  const parts: ProgressParts = { eta: '2h 05m', reason: 'rate limited', resumeIn: '59m 58s', resumeAt: '12:59:58 PM' };

  it.each([40, 60, 80, 120, 200])('fits %i columns and always shows when the run resumes', (width) => {
    const line = renderProgressLine(waiting, parts, width);
    expect(line.length).toBeLessThanOrEqual(width);
    expect(line).toContain('resuming in 59m 58s');
  });

  it("gives up the bar, the clock time, the counts' detail and the wording before the countdown", () => {
    expect(renderProgressLine(waiting, parts, 200)).toMatch(/^[█░]+ 11234\/12345 \| created 10000  failed 1234  waiting 1111 \| ETA 2h 05m \| rate limited: resuming in 59m 58s \(at 12:59:58 PM\)$/);
    expect(renderProgressLine(waiting, parts, 120)).toBe('11234/12345 | created 10000  failed 1234  waiting 1111 | ETA 2h 05m | rate limited: resuming in 59m 58s (at 12:59:58 PM)');
    expect(renderProgressLine(waiting, parts, 80)).toBe('11234/12345 created 10000 failed 1234 | ETA 2h 05m | resuming in 59m 58s');
    expect(renderProgressLine(waiting, parts, 20)).toBe('resuming in 59m 58s'.slice(-20));
    const idle = { eta: '2h 05m', reason: '', resumeIn: '', resumeAt: '' };
    expect(renderProgressLine(waiting, idle, 120)).not.toContain('resuming');
  });

  it('writes log lines whole, above the status line, while the countdown redraws it', () => {
    let screen = '';
    const status = new StatusLine({ write: (chunk: string) => ((screen += chunk), true), columns: 80 } as never);
    const reporter = barReporter(status);
    reporter.start({ ...waiting, created: 0, failed: 0 });
    reporter.log('10 rows rate limited and not sent; retrying in 59m 58s');
    reporter.progress(waiting);
    reporter.log('the gateway refused the request, nothing was done (HTTP 503); retrying in 5s');
    reporter.stop();
    // What a terminal shows: each \r\x1b[2K erases the line so far; what is left are the finished lines.
    const lines = screen.split('\n').map((line) => line.split('\r\x1b[2K').at(-1)!);
    expect(lines.slice(0, 2)).toEqual([
      '10 rows rate limited and not sent; retrying in 59m 58s',
      'the gateway refused the request, nothing was done (HTTP 503); retrying in 5s',
    ]);
    expect(lines[2]).toMatch(/^11234\/12345 .*resuming in /);
    expect(lines.at(-1)).toBe('');
    for (const line of lines) expect(line.length).toBeLessThan(80);
    // Every log line starts by erasing whatever status line was on screen.
    expect(screen.split('\n').slice(0, 2).every((line) => line.startsWith('\r\x1b[2K') || line.includes('\r\x1b[2K'))).toBe(true);
  });
});
