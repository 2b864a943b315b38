/**
 * The CSV tool end to end: the real CLI code (in process) over HTTP against an in-process gateway
 * and the emulator, both with a tiny hourly allowance (3 bulk, 5 single calls). Rate-limit waits run
 * on a virtual clock that the gateway's budget, the emulator and the tool share, so five hours of
 * Clerk allowance pass in seconds.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { runCli } from '../../tools/invite-csv/cli.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { buildFixture, EXISTING_USER, PRE_INVITED, readResultCsv, testApiKey } from './invite-csv-fixture.ts';

const { key, entry } = testApiKey();
const { csv, expected } = buildFixture();
let offset = 0;
const virtualNow = () => Date.now() + offset;
const sleeps: number[] = [];
const authHeaders: (string | null)[] = [];
/** Every address the tool put in a createInvitations request, one entry per request it was in. */
const toolSends: string[] = [];

let stack: Stack;
let server: Server;
let url: string;
let dir: string;
let file: string;

beforeAll(async () => {
  // The gateway's budget reads systemClock; moving it with the emulator's clock lets an hour pass at once.
  vi.spyOn(systemClock, 'now').mockImplementation(virtualNow);
  stack = await startStack({
    env: {
      UPSTREAM_BULK_PER_HOUR: '3',
      UPSTREAM_SINGLE_PER_HOUR: '5',
      BATCH_WINDOW_MS: '5',
      BATCH_WINDOW_MAX_MS: '20',
      GATEWAY_API_KEYS: entry,
      // 40 lookups in a few seconds need more than a development instance's share of the general
      // limit (100 per 10 s, half left to the app); lookups that fail are tested with lookupsFail.
      UPSTREAM_GENERAL_PER_10S: '1000',
    },
    emulator: { limits: { bulkPerHour: 3, singlePerHour: 5 }, now: virtualNow },
  });
  stack.emulator.seedUsers([EXISTING_USER]);
  stack.emulator.seedInvitations([{ emailAddress: PRE_INVITED }]);
  server = createServer(stack.app.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  dir = await mkdtemp(join(tmpdir(), 'invite-csv-'));
  file = join(dir, 'people.csv');
  await writeFile(file, csv);
});

afterAll(async () => {
  vi.restoreAllMocks();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI as `GATEWAY_API_KEY=… clerk-invite --url … <file> …args`; `fetch` may stand in for the network. */
async function invite(args: string[], fetchImpl: typeof fetch = fetch) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['--url', url, '--quiet', file, ...args], {
    env: { GATEWAY_API_KEY: key },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    now: virtualNow,
    sleep: async (ms) => {
      sleeps.push(ms);
      offset += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
    fetch: async (input, init) => {
      authHeaders.push(new Headers(init?.headers).get('authorization'));
      const sent = (JSON.parse(String(init?.body)) as { variables: { invitations?: { emailAddress: string }[] } }).variables.invitations;
      toolSends.push(...(sent ?? []).map((i) => i.emailAddress.toLowerCase()));
      return fetchImpl(input, init);
    },
  });
  const results = readResultCsv(await readFile(`${file}.results.csv`, 'utf8'));
  return { code, out: out.join('\n'), err: err.join('\n'), results, byLine: new Map(results.map((r) => [Number(r.line), r])) };
}

const invitationsOf = (email: string) => stack.emulator.invitations().filter((i) => i.emailAddress === email.toLowerCase());
const createCallsFor = (email: string) =>
  stack.emulator.calls
    .filter((c) => c.route === 'bulk' || c.route === 'single')
    .flatMap((c) => (Array.isArray(c.body) ? c.body : [c.body]))
    .filter((b) => (b as { email_address?: string })?.email_address === email.toLowerCase()).length;

const isLookup = (init?: RequestInit) => String(init?.body).includes('FindInvitations');
const itemsIn = (init?: RequestInit) => (JSON.parse(String(init?.body)) as { variables: { invitations?: unknown[] } }).variables.invitations?.length ?? 0;
const connectionReset = () => new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
/** Lookups of unknown outcomes fail, as when the gateway cannot reach Clerk's list endpoint. */
const lookupsFail: typeof fetch = async (input, init) => {
  if (isLookup(init)) throw connectionReset();
  return fetch(input, init);
};
const emailOf = (line: number) => expected[line - 2]!.emailAddress;

describe('clerk-invite against the gateway with 3 bulk and 5 single calls an hour', () => {
  /** Rows of a request that never reached the gateway, but whose fate the tool could not know. */
  let neverSent: number[] = [];
  /** Rows of a request the gateway carried out, whose answer was lost. */
  let answerLost: number[] = [];
  const createCallsBefore = new Map<number, number>();
  const toolSendsBefore = new Map<number, number>();
  const sends = (line: number) => toolSends.filter((e) => e === emailOf(line)).length;

  it('reports bad rows with line numbers, then stops after --limit rows', async () => {
    const run = await invite(['--limit', '40']);
    expect(run.code).toBe(1);
    for (const row of expected.filter((r) => r.outcome === 'INVALID_INPUT')) expect(run.err).toContain(`line ${row.line}: `);
    expect(run.out).toMatch(/150 rows, 8 invalid; 40 to send now, 102 left for a later run/);
    expect(run.results).toHaveLength(150);
    expect(run.results.filter((r) => r.outcome !== 'NOT_SENT' && r.outcome !== 'INVALID_INPUT')).toHaveLength(40);
    expect(run.results.filter((r) => r.outcome === 'NOT_SENT')).toHaveLength(102);
    const state = JSON.parse(await readFile(`${file}.state.json`, 'utf8')) as { rows: Record<string, { outcome: string }> };
    expect(Object.values(state.rows).filter((r) => r.outcome === 'NOT_SENT')).toHaveLength(102);
    // 40 rows exceed one hour's 3 bulk calls of 10 plus 5 singles, so the run waited for the window.
    expect(sleeps.length).toBeGreaterThan(0);
  });

  it('stops with OUTCOME_UNKNOWN when a request breaks off, whether or not the gateway got it', async () => {
    const lost = await invite([], async () => Promise.reject(connectionReset()));
    // The run stopped early, not finished with failures: exit 3.
    expect(lost.code).toBe(3);
    expect(lost.err).toMatch(/stopped: fetch failed; the gateway may have processed the request; 20 rows of that request may or may not have been invited/);
    neverSent = lost.results.filter((r) => r.outcome === 'OUTCOME_UNKNOWN').map((r) => Number(r.line));
    expect(neverSent).toHaveLength(20);

    let broken = false;
    const dropAnswer: typeof fetch = async (input, init) => {
      if (isLookup(init)) throw connectionReset();
      const response = await fetch(input, init);
      const body = (await response.clone().json()) as { data?: { createInvitations?: { createdCount: number } } };
      // Drop the answer of a request that created every row, so each of its rows really exists at Clerk.
      if (!broken && body.data?.createInvitations?.createdCount === itemsIn(init)) {
        broken = true;
        throw connectionReset();
      }
      return response;
    };
    const run = await invite([], dropAnswer);
    expect(run.err).toContain('looked up 20 rows an earlier run left with an unknown outcome: 0 had been created, 0 had not (sending them now), 20 cannot be settled yet');
    answerLost = run.results.filter((r) => r.outcome === 'OUTCOME_UNKNOWN' && !neverSent.includes(Number(r.line))).map((r) => Number(r.line));
    expect(answerLost.length).toBeGreaterThan(0);
    for (const line of [...neverSent, ...answerLost]) {
      createCallsBefore.set(line, createCallsFor(emailOf(line)));
      toolSendsBefore.set(line, sends(line));
    }
    for (const line of neverSent) expect(createCallsBefore.get(line)).toBe(0);
    for (const line of answerLost) expect(invitationsOf(emailOf(line))).toHaveLength(1);
  });

  it('resumes: sends every other row once, and never resends a row it cannot check', async () => {
    const run = await invite([], lookupsFail);
    expect(run.code).toBe(1);
    const unknown = [...neverSent, ...answerLost].sort((a, b) => a - b);
    expect(run.err).toContain(`${unknown.length} rows (lines ${unknown.join(', ')}) may have been invited by an earlier run and could not be checked; they are not resent.`);
    for (const line of unknown) {
      expect(sends(line)).toBe(toolSendsBefore.get(line));
      expect(createCallsFor(emailOf(line))).toBe(createCallsBefore.get(line));
      expect(run.byLine.get(line)).toMatchObject({ outcome: 'OUTCOME_UNKNOWN', invitationId: '', message: expect.stringMatching(/^not resent: .*; the lookup failed \(fetch failed\)$/) });
    }
    expect(run.results.map((r) => Number(r.line))).toEqual(expected.map((r) => r.line));
    for (const want of expected.filter((r) => !unknown.includes(r.line))) {
      expect(run.byLine.get(want.line)!.outcome, `line ${want.line}`).toBe(want.outcome);
    }
  });

  it('looks unknown rows up: reports the created ones, resends the ones that never arrived', async () => {
    const run = await invite([]);
    expect(run.err).toContain(`looked up ${neverSent.length + answerLost.length} rows an earlier run left with an unknown outcome: ${answerLost.length} had been created, ${neverSent.length} had not (sending them now), 0 cannot be settled yet`);
    for (const line of answerLost) expect(run.byLine.get(line)!.message).toMatch(/found with the invitations query/);
    // Found rows are not sent again; rows that never arrived are sent once more, after the lookup.
    for (const line of answerLost) expect([sends(line), createCallsFor(emailOf(line))]).toEqual([toolSendsBefore.get(line), createCallsBefore.get(line)]);
    for (const line of neverSent) expect(sends(line)).toBeGreaterThan(toolSendsBefore.get(line)!);

    // Every line, checked against what the emulator stored.
    expect(run.results.map((r) => Number(r.line))).toEqual(expected.map((r) => r.line));
    for (const want of expected) {
      const got = run.byLine.get(want.line)!;
      expect(got.emailAddress).toBe(want.emailAddress);
      expect(got.outcome, `line ${want.line}`).toBe(want.outcome);
      const stored = invitationsOf(want.emailAddress);
      if (want.outcome === 'CREATED') {
        expect(stored).toHaveLength(1);
        expect(got.invitationId).toBe(stored[0]!.id);
        if (want.expiresInDays) expect(stored[0]!.expiresAt - stored[0]!.createdAt).toBe(want.expiresInDays * 86_400_000);
        expect(stored[0]!.publicMetadata).toEqual(want.publicMetadata ?? {});
        expect(stored[0]!.notify).toBe(want.notify ?? true);
        expect(stored[0]!.templateSlug).toBe(want.waitlist ? 'waitlist_invitation' : 'invitation');
      } else if (want.outcome === 'INVALID_INPUT') {
        expect(got.message).toContain(want.problem);
        expect(createCallsFor(want.emailAddress)).toBe(want.problem?.startsWith('duplicate') ? 1 : 0);
      } else {
        expect(got.invitationId).toBe('');
      }
    }
    expect(invitationsOf(PRE_INVITED)).toHaveLength(1);
    expect(invitationsOf(EXISTING_USER)).toHaveLength(0);
    expect(stack.emulator.invitations()).toHaveLength(expected.filter((r) => r.outcome === 'CREATED').length + 1);
    expect(run.out).toContain('150 rows: 140 created, 10 not created (1 ALREADY_INVITED, 8 INVALID_INPUT, 1 USER_EXISTS)');

    const rerun = await invite([]);
    expect(rerun.out).toMatch(/150 rows, 8 invalid, 142 settled by an earlier run; 0 to send/);
  });

  it('stayed within the allowance and waited as long as the gateway said', () => {
    expect(stack.emulator.calls.filter((c) => c.status === 429)).toHaveLength(0);
    // 140 creatable rows at 3×10 + 5 an hour take at least four hours of waiting.
    const waited = sleeps.reduce((a, b) => a + b, 0);
    expect(waited).toBeGreaterThan(4 * 3_600_000);
    for (const ms of sleeps) expect(ms).toBeLessThanOrEqual(3_600_000 + 11_000);
    expect(new Set(authHeaders)).toEqual(new Set([`Bearer ${key}`]));
  });
});
