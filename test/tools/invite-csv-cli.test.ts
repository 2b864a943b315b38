/** The `clerk-invite` launcher as a real process: exit codes, output streams and Ctrl-C during a wait. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.ts';
import { runCli } from '../../tools/invite-csv/cli.ts';
import { readResultCsv, testApiKey } from './invite-csv-fixture.ts';

const BIN = fileURLToPath(new URL('../../bin/clerk-invite.js', import.meta.url));
const { key, entry } = testApiKey();
let stack: Stack;
let server: Server;
let url: string;
/** A second gateway with Clerk's default hourly allowance, for runs that must create at once. */
let roomy: Stack;
let roomyServer: Server;
let roomyUrl: string;
let dir: string;

beforeAll(async () => {
  // One bulk and one single call an hour: the third request of a run has to wait an hour.
  stack = await startStack({
    env: { UPSTREAM_BULK_PER_HOUR: '1', UPSTREAM_SINGLE_PER_HOUR: '1', GATEWAY_API_KEYS: entry },
    emulator: { limits: { bulkPerHour: 1, singlePerHour: 1 } },
  });
  server = createServer(stack.app.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  dir = await mkdtemp(join(tmpdir(), 'invite-cli-'));
  roomy = await startStack({ env: { GATEWAY_API_KEYS: entry } });
  roomyServer = createServer(roomy.app.yoga);
  await new Promise<void>((resolve) => roomyServer.listen(0, '127.0.0.1', resolve));
  roomyUrl = `http://127.0.0.1:${(roomyServer.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await stack?.close();
  roomyServer?.closeAllConnections();
  await new Promise((resolve) => roomyServer?.close(resolve));
  await roomy?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string | undefined> = { GATEWAY_API_KEY: key }) {
  const { GATEWAY_API_KEY: _, ...inherited } = process.env;
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...inherited, GATEWAY_URL: url, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk));
  return { child, output };
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = await once(child, 'exit');
  return code as number | null;
}

async function cli(args: string[], env?: Record<string, string | undefined>) {
  const { child, output } = start(args, env);
  const code = await exitOf(child);
  return { code, ...output };
}

const csvFile = async (name: string, text: string) => {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
};

describe('clerk-invite as a process', () => {
  it('prints usage with --help (0) and on a usage error (2)', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: clerk-invite \[options\] <file\.csv>/);
    for (const code of ['0  every row created', '1  the run finished', '2  usage', '3  stopped early']) expect(help.stdout).toContain(code);
    expect(help.stdout).not.toMatch(/--key </);
    const usage = await cli(['--chunk-size', 'x', 'a.csv']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^clerk-invite: --chunk-size must be a whole number/);
  });

  it('exits 2 for a missing or unusable file, 1 for a dry run with bad rows, 0 for a clean dry run', async () => {
    expect((await cli([join(dir, 'missing.csv')])).code).toBe(2);
    const noEmail = await cli([await csvFile('no-email.csv', 'name\nAda\n')]);
    expect([noEmail.code, noEmail.stderr]).toEqual([2, expect.stringMatching(/line 1: unknown column "name"/)]);
    const bad = await cli(['--dry-run', await csvFile('bad.csv', 'emailAddress,expiresInDays\nada@example.com,7\nnope,\n')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('line 3: emailAddress: "nope" is not a valid email address');
    expect(bad.stdout).toMatch(/2 rows, 1 invalid; 1 to send/);
    const good = await cli(['--dry-run', await csvFile('good.csv', 'emailAddress\nada@example.com\n')]);
    expect([good.code, good.stdout]).toEqual([0, expect.stringMatching(/1 row, 0 invalid; 1 to send/)]);
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it('invites a small file (0), then on rerun sends nothing', async () => {
    const file = await csvFile('small.csv', 'emailAddress,publicMetadata\nada@example.com,"{""team"":""research""}"\ngrace@example.com,\n');
    const first = await cli([file]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/2 rows: 2 created\. Results: .*small\.csv\.results\.csv/);
    const results = readResultCsv(await readFile(`${file}.results.csv`, 'utf8'));
    const ids = new Map(stack.emulator.invitations().map((i) => [i.emailAddress, i.id]));
    expect(results.map((r) => [r.line, r.emailAddress, r.outcome, r.invitationId])).toEqual([
      ['2', 'ada@example.com', 'CREATED', ids.get('ada@example.com')],
      ['3', 'grace@example.com', 'CREATED', ids.get('grace@example.com')],
    ]);
    const again = await cli([file]);
    expect([again.code, again.stdout]).toEqual([0, expect.stringMatching(/2 settled by an earlier run; 0 to send/)]);
  });

  it('stops at once on Ctrl-C while it waits out the hourly limit, and saves what it has', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => `wait${i}@example.com`).join('\n');
    const file = await csvFile('wait.csv', `emailAddress\n${rows}\n`);
    const { child, output } = start(['--chunk-size', '10', file]);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never started waiting:\n${output.stderr}`)), 15_000);
      child.stderr.on('data', () => /rate limited: resuming in/.test(output.stderr) && (clearTimeout(timer), resolve()));
    });
    const stoppedAt = Date.now();
    child.kill('SIGINT');
    expect(await exitOf(child)).toBe(3);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(output.stderr).toMatch(/stopped: interrupted\. Rerun the same command to continue\./);
    const results = readResultCsv(await readFile(`${file}.results.csv`, 'utf8'));
    expect(results.filter((r) => r.outcome === 'PENDING')).toEqual([]);
    const pending = results.filter((r) => r.outcome === 'NOT_SENT');
    expect(pending.length).toBeGreaterThan(0);
    expect(pending[0]!.message).toBe('rate limited when the run stopped; rerun to continue');
    const state = JSON.parse(await readFile(`${file}.state.json`, 'utf8')) as { rows: Record<string, { outcome: string }> };
    expect(Object.values(state.rows).filter((r) => r.outcome === 'CREATED')).toHaveLength(results.filter((r) => r.outcome === 'CREATED').length);
  });

  it('takes the key from GATEWAY_API_KEY and never prints it', async () => {
    const file = await csvFile('env-key.csv', 'emailAddress\nenvkey@example.com\n');
    const run = await cli([file], { GATEWAY_API_KEY: key, GATEWAY_URL: roomyUrl });
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(key);
    expect(roomy.emulator.invitations().map((i) => i.emailAddress)).toContain('envkey@example.com');
  });

  it('takes the key from --key-file over the environment, warns when others can read it, never prints it', async () => {
    const keyFile = join(dir, 'gateway.key');
    await writeFile(keyFile, `${key}\n`);
    await chmod(keyFile, 0o644);
    const file = await csvFile('file-key.csv', 'emailAddress\nfilekey@example.com\n');
    const run = await cli(['--key-file', keyFile, file], { GATEWAY_API_KEY: 'gk_wrong_key_from_env', GATEWAY_URL: roomyUrl });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`${keyFile} can be read by other users (mode 644); chmod 600`);
    expect(run.stdout + run.stderr).not.toContain(key);
    expect(roomy.emulator.invitations().map((i) => i.emailAddress)).toContain('filekey@example.com');

    await chmod(keyFile, 0o600);
    const quiet = await cli(['--key-file', keyFile, '--dry-run', file], { GATEWAY_URL: roomyUrl });
    expect([quiet.code, quiet.stderr]).toEqual([0, expect.not.stringContaining('can be read by other users')]);
    const missing = await cli(['--key-file', join(dir, 'nope.key'), file], {});
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/cannot read --key-file .*nope\.key \(ENOENT\)/)]);
  });

  it('refuses --key with exit 2 without echoing it, and a wrong key with exit 2 without printing it', async () => {
    const file = await csvFile('cli-key.csv', 'emailAddress\nclikey@example.com\n');
    const onCommandLine = await cli(['--key', key, file], {});
    expect(onCommandLine.code).toBe(2);
    expect(onCommandLine.stderr).toMatch(/--key is not accepted/);
    expect(onCommandLine.stdout + onCommandLine.stderr).not.toContain(key);
    const wrong = `gk_test_${'0'.repeat(48)}`;
    const refused = await cli([file], { GATEWAY_API_KEY: wrong });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/stopped: UNAUTHENTICATED/);
    expect(refused.stdout + refused.stderr).not.toContain(wrong);
    expect(stack.emulator.invitations().map((i) => i.emailAddress)).not.toContain('clikey@example.com');
  });

  it('exits 3 when the gateway cannot be reached, leaving every row NOT_SENT', async () => {
    // A port that was just free: connections are refused, so nothing can have been sent.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const file = await csvFile('unreachable.csv', 'emailAddress\nnowhere@example.com\n');
    const out: string[] = [];
    let now = Date.now();
    const code = await runCli(['--url', `http://127.0.0.1:${port}/graphql`, '--quiet', file], {
      env: { GATEWAY_API_KEY: key },
      out: (line) => out.push(line),
      err: (line) => out.push(line),
      now: () => now,
      sleep: async (ms) => void (now += ms),
    });
    expect(code).toBe(3);
    expect(out.join('\n')).toMatch(/stopped: cannot reach .* \(ECONNREFUSED\), 5 times in a row/);
    const results = readResultCsv(await readFile(`${file}.results.csv`, 'utf8'));
    expect(results.map((r) => [r.emailAddress, r.outcome])).toEqual([['nowhere@example.com', 'NOT_SENT']]);
  });

  it('resumes a state file an older version wrote with PENDING rows: sends them, keeps created rows', async () => {
    const file = await csvFile('old-state.csv', 'emailAddress\nold-created@example.com\nold-pending@example.com\nold-limited@example.com\n');
    const at = '2026-01-01T00:00:00.000Z';
    const { fingerprintOf } = await import('../../tools/invite-csv/csv-rows.ts');
    const entry = (line: number, email: string, outcome: string, retryable: boolean) => ({ line, fingerprint: fingerprintOf({ emailAddress: email }), outcome, retryable, updatedAt: at });
    await writeFile(`${file}.state.json`, JSON.stringify({
      version: 1,
      gatewayUrl: roomyUrl,
      rows: {
        'old-created@example.com': { ...entry(2, 'old-created@example.com', 'CREATED', false), invitationId: 'inv_from_before' },
        // The worst case: PENDING with retryable false would read as a final failure if taken literally.
        'old-pending@example.com': entry(3, 'old-pending@example.com', 'PENDING', false),
        'old-limited@example.com': entry(4, 'old-limited@example.com', 'PENDING', true),
      },
    }));
    const run = await cli([file], { GATEWAY_API_KEY: key, GATEWAY_URL: roomyUrl });
    expect(run.stdout).toMatch(/3 rows, 0 invalid, 1 settled by an earlier run; 2 to send/);
    expect(run.code).toBe(0);
    const results = readResultCsv(await readFile(`${file}.results.csv`, 'utf8'));
    expect(results.map((r) => [r.emailAddress, r.outcome])).toEqual([
      ['old-created@example.com', 'CREATED'],
      ['old-pending@example.com', 'CREATED'],
      ['old-limited@example.com', 'CREATED'],
    ]);
    expect(results[0]!.invitationId).toBe('inv_from_before');
    const emails = roomy.emulator.invitations().map((i) => i.emailAddress);
    expect(emails).toEqual(expect.arrayContaining(['old-pending@example.com', 'old-limited@example.com']));
    expect(emails).not.toContain('old-created@example.com');
    const state = await readFile(`${file}.state.json`, 'utf8');
    expect(state).not.toContain('PENDING');
  });
});
