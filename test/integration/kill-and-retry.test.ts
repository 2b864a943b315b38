import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { startGatewayProcess, testApiKey, type GatewayProcess } from '../support/gateway-process.ts';
import { redisReachable, REDIS_URL } from '../support/redis.ts';
import { CREATE_INVITATIONS, type Payload } from '../support/stack.ts';

const redisUp = await redisReachable('kill-and-retry');
const key = testApiKey('importer');
let emulator: Emulator;
let gateways: GatewayProcess[] = [];

const env = () => ({
  CLERK_SECRET_KEY: emulator.secretKeys[0]!,
  CLERK_API_URL: emulator.url,
  GATEWAY_API_KEYS: key.entry,
  REDIS_URL,
  RATE_LIMIT_MAX: '100000',
  REQUEST_TIMEOUT_MS: '3000',
  UPSTREAM_TIMEOUT_MS: '1000',
  BATCH_WINDOW_MS: '50',
  BATCH_WINDOW_MAX_MS: '50',
});

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop('SIGKILL')));
  await emulator?.close();
});

type Answer = { status: number; body: { data?: { createInvitations: Payload } | null; errors?: { extensions?: { code?: string } }[] } };

async function send(gateway: GatewayProcess, idempotencyKey: string, invitations: unknown[]): Promise<Answer> {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey, ...key.headers },
    body: JSON.stringify({ query: CREATE_INVITATIONS, variables: { invitations } }),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/** A client that retries while the key is still held by the attempt that was cut off. */
async function retryUntilAnswered(gateway: GatewayProcess, idempotencyKey: string, invitations: unknown[]): Promise<Payload> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const answer = await send(gateway, idempotencyKey, invitations);
    if (answer.body.data?.createInvitations) return answer.body.data.createInvitations;
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no answer for ${idempotencyKey}`);
}

describe.runIf(redisUp)('a replica killed while its Clerk calls are in flight', () => {
  it('answers every idempotent retry with the invitation that exists, and never creates one twice', async () => {
    const run = randomUUID().slice(0, 8);
    const requests = Array.from({ length: 12 }, (_, i) => ({
      idempotencyKey: `${run}-${i}`,
      invitations: [
        { emailAddress: `${run}-${i}-a@example.com`, ignoreExisting: true, publicMetadata: { request: i } },
        { emailAddress: `${run}-${i}-b@example.com` },
      ],
    }));
    // Clerk is slow: the calls are still in flight (and then commit) when the replica dies.
    emulator.faults.add({ route: 'bulk', fault: 'latency', latencyMs: 700 });
    const first = await startGatewayProcess(env());
    gateways.push(first);
    const lost = requests.map((r) => send(first, r.idempotencyKey, r.invitations).catch(() => undefined));
    for (let i = 0; i < 100 && !emulator.calls.some((c) => c.route === 'bulk'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(emulator.calls.some((c) => c.route === 'bulk')).toBe(true);
    first.child.kill('SIGKILL');
    expect((await Promise.all(lost)).every((a) => a === undefined)).toBe(true);
    // Whatever Clerk received, it has now committed.
    await new Promise((r) => setTimeout(r, 1_000));
    emulator.faults.clear();
    const committedBeforeRetry = emulator.invitations().length;

    const second = await startGatewayProcess(env());
    gateways.push(second);
    const answers = await Promise.all(requests.map((r) => retryUntilAnswered(second, r.idempotencyKey, r.invitations)));

    const stored = emulator.invitations();
    const byAddress = new Map<string, string[]>();
    for (const inv of stored) byAddress.set(inv.emailAddress, [...(byAddress.get(inv.emailAddress) ?? []), inv.id]);
    expect([...byAddress.values()].every((ids) => ids.length === 1)).toBe(true);
    expect(committedBeforeRetry).toBeGreaterThan(0);
    answers.forEach((payload, i) => {
      payload.results.forEach((result, j) => {
        const email = requests[i]!.invitations[j]!.emailAddress;
        expect(result.__typename).toBe('InvitationCreated');
        if (result.__typename === 'InvitationCreated') expect([result.invitation.id]).toEqual(byAddress.get(email));
      });
    });
    expect(stored).toHaveLength(24);
    // Retrying once more replays the same answer.
    expect((await send(second, requests[0]!.idempotencyKey, requests[0]!.invitations)).body.data?.createInvitations).toEqual(answers[0]);
  }, 60_000);
});
