import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { startGatewayProcess, testApiKey, type GatewayProcess } from '../support/gateway-process.ts';
import { CREATE_INVITATIONS } from '../support/stack.ts';

let emulator: Emulator;
let gateway: GatewayProcess;
const key = testApiKey('shutdown');

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, limits: { bulkPerHour: 100_000, singlePerHour: 100_000 } });
  gateway = await startGatewayProcess({
    CLERK_SECRET_KEY: emulator.secretKeys[0]!,
    CLERK_API_URL: emulator.url,
    GATEWAY_API_KEYS: key.entry,
    RATE_LIMIT_MAX: '100000',
    UPSTREAM_BULK_PER_HOUR: '100000',
    UPSTREAM_SINGLE_PER_HOUR: '100000',
    // A long window: items are still queued when the signal comes, so the flush is what answers them.
    BATCH_WINDOW_MS: '3000',
    BATCH_WINDOW_MAX_MS: '3000',
  });
}, 30_000);
afterAll(async () => {
  await gateway?.stop('SIGKILL');
  await emulator?.close();
});

describe('graceful shutdown', () => {
  it('answers every request it received after SIGTERM, creates what it answered, never resets a connection, and exits 0', async () => {
    // Clerk is slow, so the calls are still out when the signal comes.
    emulator.faults.add({ route: 'bulk', fault: 'latency', latencyMs: 3_000 });
    // Keep-alive connections, as a load balancer would hold them; 60 requests on 20 connections.
    const dispatcher = new Agent({ connections: 20 });
    const calls = Array.from({ length: 60 }, async (_, i) => {
      try {
        const response = await request(`${gateway.url}/graphql`, {
          dispatcher,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...key.headers },
          body: JSON.stringify({ query: CREATE_INVITATIONS, variables: { invitations: [{ emailAddress: `s${i}@example.com` }] } }),
        });
        return { connection: response.headers['connection'], body: (await response.body.json()) as any };
      } catch (error) {
        return { error: error as NodeJS.ErrnoException };
      }
    });
    // Time for the 20 connections to open and carry a request each, even on a busy two-core machine;
    // full batches leave at once, so Clerk's latency is what keeps them in flight past this.
    await new Promise((r) => setTimeout(r, 1_000));
    const readyBefore = await fetch(`${gateway.url}/readyz`);
    expect(readyBefore.status).toBe(200);
    gateway.child.kill('SIGTERM');

    const answers = await Promise.all(calls);
    const code = await gateway.exited;
    await dispatcher.close();

    expect(code).toBe(0);
    const answered = answers.filter((a) => 'body' in a);
    // The requests the server had when the signal came are all answered, each telling the client to
    // reconnect elsewhere; those still queued in the client are refused before they are sent.
    expect(answered.length).toBeGreaterThanOrEqual(20);
    expect(answered.every((a) => 'connection' in a && a.connection === 'close')).toBe(true);
    for (const failure of answers.filter((a) => 'error' in a)) expect((failure as { error: NodeJS.ErrnoException }).error.code).toBe('ECONNREFUSED');
    const results = answered.map((a) => ('body' in a ? a.body.data?.createInvitations?.results?.[0] : undefined));
    expect(results.every((r) => r?.__typename === 'InvitationCreated')).toBe(true);
    expect(emulator.invitations()).toHaveLength(answered.length);
    expect(gateway.output()).toMatch(/shut down cleanly/);
  });
});
