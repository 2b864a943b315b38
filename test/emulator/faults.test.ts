import type { ClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, type FaultRule, startEmulator } from '../../src/emulator/index.ts';
import { clerkError, clientFor, rawFetch } from './helpers.ts';

let emulator: Emulator;
let clerk: ClerkClient;
let key: string;

beforeAll(async () => {
  emulator = await startEmulator({ limits: { bulkPerHour: 1000 } });
  key = emulator.secretKeys[0] as string;
  clerk = clientFor(emulator.url, key);
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

const bulkOf = (...emailAddresses: string[]) =>
  clerk.invitations.createInvitationBulk(emailAddresses.map((emailAddress) => ({ emailAddress })));
const lastCall = () => emulator.calls.at(-1);

describe('faults before commit', () => {
  it('latency delays the answer, then answers normally', async () => {
    emulator.faults.add({ route: 'bulk', fault: 'latency', latencyMs: 200 });
    const started = performance.now();
    const created = await bulkOf('slow@example.com');
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(created).toHaveLength(1);
    expect(lastCall()).toMatchObject({ fault: 'latency', status: 200, committed: true });
  });

  it('hang never answers and creates nothing', async () => {
    emulator.faults.add({ route: 'bulk', fault: 'hang' });
    const request = rawFetch(emulator.url, '/v1/invitations/bulk', key, {
      method: 'POST',
      body: JSON.stringify([{ email_address: 'hang@example.com' }]),
      signal: AbortSignal.timeout(300),
    });
    await expect(request).rejects.toThrow(/aborted|timeout/i);
    expect(lastCall()).toMatchObject({ fault: 'hang', status: null, committed: false });
    expect(emulator.invitations()).toEqual([]);
  });

  it('error500-before-commit answers 500 internal_clerk_error and creates nothing', async () => {
    emulator.faults.add({ route: 'bulk', fault: 'error500-before-commit' });
    const error = await clerkError(bulkOf('e500@example.com'));
    expect([error.status, error.errors[0]?.code]).toEqual([500, 'internal_clerk_error']);
    expect(emulator.invitations()).toEqual([]);
    expect(lastCall()).toMatchObject({ fault: 'error500-before-commit', status: 500, committed: false });
  });

  it('reset-before-commit destroys the socket and creates nothing', async () => {
    emulator.faults.add({ route: 'single', fault: 'reset-before-commit' });
    const error = await clerkError(clerk.invitations.createInvitation({ emailAddress: 'rst@example.com' }));
    expect([error.status, error.errors[0]?.code]).toEqual([undefined, 'unexpected_error']);
    expect(emulator.invitations()).toEqual([]);
    expect(lastCall()).toMatchObject({ fault: 'reset-before-commit', status: null, committed: false });
  });

  it('rate-limit answers 429 with the given Retry-After and does not use up the real limit', async () => {
    const em = await startEmulator({ limits: { bulkPerHour: 1 } });
    try {
      const client = clientFor(em.url, em.secretKeys[0] as string);
      em.faults.add({ route: 'bulk', fault: 'rate-limit', retryAfterSeconds: 42, times: 1 });
      const error = await clerkError(client.invitations.createInvitationBulk([{ emailAddress: 'a@example.com' }]));
      expect([error.status, error.retryAfter, error.errors[0]?.code]).toEqual([429, 42, 'too_many_requests']);
      await client.invitations.createInvitationBulk([{ emailAddress: 'a@example.com' }]);
    } finally {
      await em.close();
    }
  });
});

describe('faults after commit', () => {
  it('error500-after-commit creates the invitations, then answers 500', async () => {
    emulator.faults.add({ route: 'bulk', fault: 'error500-after-commit' });
    const error = await clerkError(bulkOf('a@example.com', 'b@example.com'));
    expect(error.status).toBe(500);
    expect(emulator.invitations().map((i) => i.emailAddress)).toEqual(['a@example.com', 'b@example.com']);
    const call = lastCall();
    expect(call).toMatchObject({ fault: 'error500-after-commit', status: 500, committed: true });
    expect(call?.invitationIds).toEqual(emulator.invitations().map((i) => i.id));
  });

  it('reset-after-commit creates the invitation, then destroys the socket', async () => {
    emulator.faults.add({ route: 'single', fault: 'reset-after-commit', times: 1 });
    const error = await clerkError(clerk.invitations.createInvitation({ emailAddress: 'gone@example.com' }));
    expect(error.errors[0]?.code).toBe('unexpected_error');
    expect(emulator.invitations()).toHaveLength(1);
    expect(lastCall()).toMatchObject({ fault: 'reset-after-commit', status: null, committed: true });
    // A blind retry is now a duplicate: exactly what callers must reconcile instead.
    const retry = await clerkError(clerk.invitations.createInvitation({ emailAddress: 'gone@example.com' }));
    expect(retry.errors[0]?.code).toBe('duplicate_record');
  });

  it('malformed-body html-502 reaches the SDK as status 502 with no errors', async () => {
    emulator.faults.add({ route: 'bulk', fault: 'malformed-body' });
    const error = await clerkError(bulkOf('proxy@example.com'));
    expect([error.status, error.errors]).toEqual([502, []]);
    expect(lastCall()).toMatchObject({ fault: 'malformed-body', status: 502, committed: true });
  });

  it('malformed-body non-json-200 makes the SDK resolve with a string', async () => {
    emulator.faults.add({ route: 'bulk', fault: 'malformed-body', variant: 'non-json-200' });
    const result: unknown = await bulkOf('text@example.com');
    expect(result).toBe('OK');
  });

  it('malformed-body wrong-shape-200 makes the SDK resolve with something that is not an array', async () => {
    emulator.faults.add({ route: 'bulk', fault: 'malformed-body', variant: 'wrong-shape-200' });
    const result: unknown = await bulkOf('shape@example.com');
    expect(Array.isArray(result)).toBe(false);
    expect(result).toMatchObject({ object: 'unexpected' });
  });
});

describe('rule matching', () => {
  it('applies a rule `times` times, only on its route and instance, then drops it', async () => {
    const [installed] = emulator.faults.add({ route: 'single', fault: 'error500-before-commit', times: 2, secretKey: key });
    expect(installed).toMatchObject({ id: expect.any(Number), applied: 0 });
    await bulkOf('bulk@example.com');
    expect((await clerkError(clerk.invitations.createInvitation({ emailAddress: 'x@example.com' }))).status).toBe(500);
    expect(emulator.faults.list()[0]?.applied).toBe(1);
    await clerkError(clerk.invitations.createInvitation({ emailAddress: 'x@example.com' }));
    expect(emulator.faults.list()).toEqual([]);
    await clerk.invitations.createInvitation({ emailAddress: 'x@example.com' });
  });

  it('rolls `probability` with a seedable RNG, reproducibly', async () => {
    const run = async () => {
      emulator.reset();
      emulator.faults.seed(7);
      emulator.faults.add({ route: 'list', fault: 'error500-before-commit', probability: 0.5 });
      const outcomes: number[] = [];
      for (let i = 0; i < 20; i += 1) {
        outcomes.push(await clerk.invitations.getInvitationList().then(() => 200, (e: { status: number }) => e.status));
      }
      return outcomes;
    };
    const first = await run();
    expect(first.filter((s) => s === 500).length).toBeGreaterThan(0);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(await run()).toEqual(first);
  });

  it('rejects invalid rules', () => {
    expect(() => emulator.faults.add({ route: 'bulk', fault: 'explode' } as unknown as FaultRule)).toThrow(/unknown fault/);
    expect(() => emulator.faults.add({ route: 'bulk', fault: 'hang', probability: 2 })).toThrow(/probability/);
  });

  it('close() ends a hung request, so nothing keeps the test alive', async () => {
    const em = await startEmulator();
    em.faults.add({ route: 'any', fault: 'hang' });
    const pending = rawFetch(em.url, '/v1/invitations', em.secretKeys[0] as string);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await em.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(pending).rejects.toThrow();
  });
});
