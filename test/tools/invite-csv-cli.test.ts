/** The `clerk-invite` launcher as a real process: exit codes, output streams and Ctrl-C during a wait. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.ts';
import { readResultCsv, testApiKey } from './invite-csv-fixture.ts';

const BIN = fileURLToPath(new URL('../../bin/clerk-invite.js', import.meta.url));
const { key, entry } = testApiKey();
let stack: Stack;
let server: Server;
let url: string;
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
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, GATEWAY_API_KEY: key, GATEWAY_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
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

async function cli(args: string[]) {
  const { child, output } = start(args);
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
    expect(await exitOf(child)).toBe(1);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(output.stderr).toMatch(/stopped: interrupted\. Rerun the same command to continue\./);
    const results = readResultCsv(await readFile(`${file}.results.csv`, 'utf8'));
    const pending = results.filter((r) => r.outcome === 'PENDING');
    expect(pending.length).toBeGreaterThan(0);
    expect(pending[0]!.message).toBe('rate limited when the run stopped; rerun to continue');
    const state = JSON.parse(await readFile(`${file}.state.json`, 'utf8')) as { rows: Record<string, { outcome: string }> };
    expect(Object.values(state.rows).filter((r) => r.outcome === 'CREATED')).toHaveLength(results.filter((r) => r.outcome === 'CREATED').length);
  });
});
