import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CallRecord, type Emulator, parseEmulatorEnv, startEmulator } from '../../src/emulator/index.ts';
import { clerkError, clientFor } from './helpers.ts';

let emulator: Emulator;
let key: string;

beforeAll(async () => {
  emulator = await startEmulator({ control: true, now: () => 1_000_000 });
  key = emulator.secretKeys[0] as string;
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

async function control(method: string, path: string, body?: unknown) {
  const res = await fetch(`${emulator.url}/__emulator/${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('control routes', () => {
  it('seeds users, installs faults and reads invitations and calls over HTTP', async () => {
    const clerk = clientFor(emulator.url, key);
    expect((await control('POST', 'users', { emails: ['taken@example.com'] })).status).toBe(200);
    expect((await clerkError(clerk.invitations.createInvitation({ emailAddress: 'taken@example.com' }))).status).toBe(422);

    const installed = await control('POST', 'faults', [{ route: 'bulk', fault: 'error500-after-commit', times: 1 }]);
    expect(installed.body).toEqual([expect.objectContaining({ fault: 'error500-after-commit', applied: 0 })]);
    expect((await clerkError(clerk.invitations.createInvitationBulk([{ emailAddress: 'n@example.com' }]))).status).toBe(500);

    const invitations = await control('GET', `invitations?secret_key=${key}`);
    expect(invitations.body).toEqual([expect.objectContaining({ emailAddress: 'n@example.com', status: 'pending' })]);
    const calls = (await control('GET', 'calls')).body as CallRecord[];
    expect(calls.map((c) => [c.route, c.status, c.fault, c.committed])).toEqual([
      ['single', 422, null, false],
      ['bulk', 500, 'error500-after-commit', true],
    ]);
    expect(calls[1]?.body).toEqual([{ email_address: 'n@example.com' }]);
    expect((await control('GET', `calls?since=${calls[0]?.seq}`)).body).toHaveLength(1);
  });

  it('lists and clears faults, seeds and accepts invitations, moves the clock and resets', async () => {
    await control('POST', 'faults', { rules: [{ route: 'any', fault: 'latency', latencyMs: 5 }] });
    expect((await control('GET', 'faults')).body).toHaveLength(1);
    await control('DELETE', 'faults');
    expect((await control('GET', 'faults')).body).toEqual([]);

    const seeded = await control('POST', 'invitations', { invitations: [{ emailAddress: 'seed@example.com' }] });
    const id = seeded.body[0].id as string;
    expect((await control('POST', `invitations/${id}/accept`, {})).body.status).toBe('accepted');
    expect((await control('GET', 'users')).body).toEqual([expect.objectContaining({ emailAddress: 'seed@example.com' })]);

    expect((await control('POST', 'clock', { advanceMs: 5000 })).body).toEqual({ now: 1_005_000, offsetMs: 0 });
    expect((await control('POST', 'reset')).body).toEqual({ ok: true });
    expect(emulator.invitations()).toEqual([]);
    expect(emulator.now()).toBe(1_000_000);
  });

  it('mints session tokens and exposes the signing key', async () => {
    const { body } = await control('POST', 'session-tokens', { claims: { sub: 'user_9' } });
    expect(body.token.split('.')).toHaveLength(3);
    const signing = await control('GET', 'signing-key');
    expect(signing.body.publicKeyPem).toContain('BEGIN PUBLIC KEY');
  });

  it('answers 400 with a message for invalid input', async () => {
    const badRule = await control('POST', 'faults', { route: 'bulk', fault: 'explode' });
    expect(badRule.status).toBe(400);
    expect(badRule.body.error).toMatch(/fault/);
    const badKey = await control('POST', 'users', { emails: ['a@example.com'], secretKey: 'sk_test_nope' });
    expect([badKey.status, badKey.body.error]).toEqual([400, 'unknown secret key sk_test_nope']);
  });

  it('is absent when control is off', async () => {
    const plain = await startEmulator();
    try {
      const res = await fetch(`${plain.url}/__emulator/calls`);
      expect([res.status, (await res.json()).errors[0].code]).toEqual([404, 'resource_not_found']);
    } finally {
      await plain.close();
    }
  });
});

describe('standalone emulator (npm run emulator)', () => {
  const main = fileURLToPath(new URL('../../src/emulator/main.ts', import.meta.url));
  const run = (env: Record<string, string>) =>
    spawn(process.execPath, ['--import', 'tsx', main], { env: { ...process.env, ...env }, stdio: 'pipe' });

  it('prints its URL, serves the SDK with the given keys and stops on SIGTERM', async () => {
    const child = run({
      EMULATOR_PORT: '0',
      EMULATOR_SECRET_KEYS: 'sk_test_cli_one, sk_test_cli_two',
      EMULATOR_BULK_PER_HOUR: '5',
      EMULATOR_CLOCK_OFFSET_MS: '-30000',
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) resolve(match[1] as string);
      });
      child.once('exit', () => reject(new Error(`exited early: ${output}`)));
    });
    expect(output).toContain('sk_test_cli_one, sk_test_cli_two');
    const sentBy = Date.now();
    const created = await clientFor(url, 'sk_test_cli_two').invitations.createInvitation({ emailAddress: 'cli@example.com' });
    expect(created.id).toMatch(/^inv_/);
    // Clerk's clock runs 30 s behind: the invitation is stamped before the request was even sent.
    expect(created.createdAt).toBeLessThanOrEqual(Date.now() - 30_000);
    expect(created.createdAt).toBeGreaterThanOrEqual(sentBy - 30_000);
    expect((await fetch(`${url}/__emulator/health`)).status).toBe(200);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it.each([
    [{ EMULATOR_PORT: 'abc' }, 'EMULATOR_PORT must be an integer from 0 to 65535, got "abc"'],
    [{ EMULATOR_CLOCK_OFFSET_MS: '-30s' }, 'EMULATOR_CLOCK_OFFSET_MS must be an integer from -31536000000 to 31536000000, got "-30s"'],
  ])('names the variable and the bad value when the environment is wrong (%o)', async (env, message) => {
    const child = run(env);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('parses the EMULATOR_* variables', () => {
    expect(parseEmulatorEnv({})).toEqual({
      port: 4010,
      host: '127.0.0.1',
      secretKeys: [],
      bulkPerHour: undefined,
      singlePerHour: undefined,
      clockOffsetMs: 0,
      orgBulkPerHour: undefined,
      orgSinglePerHour: undefined,
      orgLimitScope: undefined,
      windowMs: undefined,
      orgDuplicateInvitation: undefined,
    });
    expect(parseEmulatorEnv({ EMULATOR_BUDGET_WINDOW: '10s' }).windowMs).toBe(10_000);
    expect(parseEmulatorEnv({ EMULATOR_BUDGET_WINDOW: '500ms' }).windowMs).toBe(500);
    for (const bad of ['0s', '1 hour', '10', '-1h']) {
      expect(() => parseEmulatorEnv({ EMULATOR_BUDGET_WINDOW: bad })).toThrow(`EMULATOR_BUDGET_WINDOW must be a number and a unit above zero, like 500ms, 30s, 15m, 1h or 1d, got ${JSON.stringify(bad)}`);
    }
    expect(
      parseEmulatorEnv({
        EMULATOR_ORG_BULK_PER_HOUR: '5',
        EMULATOR_ORG_SINGLE_PER_HOUR: '9',
        EMULATOR_ORG_LIMIT_SCOPE: 'organization',
        EMULATOR_ORG_DUPLICATE_INVITATION: 'reuse',
      }),
    ).toMatchObject({ orgBulkPerHour: 5, orgSinglePerHour: 9, orgLimitScope: 'organization', orgDuplicateInvitation: 'reuse' });
    expect(() => parseEmulatorEnv({ EMULATOR_ORG_LIMIT_SCOPE: 'tenant' })).toThrow(/EMULATOR_ORG_LIMIT_SCOPE .*got "tenant"/);
    expect(() => parseEmulatorEnv({ EMULATOR_ORG_DUPLICATE_INVITATION: 'x' })).toThrow(/EMULATOR_ORG_DUPLICATE_INVITATION/);
    expect(parseEmulatorEnv({ EMULATOR_CLOCK_OFFSET_MS: '-30000' }).clockOffsetMs).toBe(-30_000);
    expect(parseEmulatorEnv({ EMULATOR_CLOCK_OFFSET_MS: '5000' }).clockOffsetMs).toBe(5000);
    expect(() => parseEmulatorEnv({ EMULATOR_CLOCK_OFFSET_MS: '1.5' })).toThrow(/EMULATOR_CLOCK_OFFSET_MS .*got "1.5"/);
    expect(() => parseEmulatorEnv({ EMULATOR_CLOCK_OFFSET_MS: '99999999999' })).toThrow(/EMULATOR_CLOCK_OFFSET_MS/);
    expect(parseEmulatorEnv({ EMULATOR_SINGLE_PER_HOUR: '7', EMULATOR_SECRET_KEYS: 'a,,b ' })).toMatchObject({
      singlePerHour: 7,
      secretKeys: ['a', 'b'],
    });
    expect(() => parseEmulatorEnv({ EMULATOR_BULK_PER_HOUR: '0' })).toThrow('EMULATOR_BULK_PER_HOUR must be an integer from 1');
    expect(() => parseEmulatorEnv({ EMULATOR_BULK_PER_HOUR: '2.5' })).toThrow(/got "2.5"/);
    expect(() => parseEmulatorEnv({ EMULATOR_SECRET_KEYS: 'a,a' })).toThrow(/EMULATOR_SECRET_KEYS/);
  });
});
