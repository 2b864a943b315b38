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
  it('answers every request in flight after SIGTERM, creates what it answered, and exits 0', async () => {
    // Keep-alive connections, as a load balancer would hold them.
    const dispatcher = new Agent({ connections: 20 });
    const calls = Array.from({ length: 60 }, async (_, i) => {
      const response = await request(`${gateway.url}/graphql`, {
        dispatcher,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...key.headers },
        body: JSON.stringify({ query: CREATE_INVITATIONS, variables: { invitations: [{ emailAddress: `s${i}@example.com` }] } }),
      });
      return (await response.body.json()) as any;
    });
    await new Promise((r) => setTimeout(r, 300));
    const readyBefore = await fetch(`${gateway.url}/readyz`);
    expect(readyBefore.status).toBe(200);
    gateway.child.kill('SIGTERM');

    const answers = await Promise.all(calls);
    const code = await gateway.exited;
    await dispatcher.close();

    expect(code).toBe(0);
    const results = answers.map((a) => a.data?.createInvitations?.results?.[0]);
    expect(results.every((r) => r?.__typename === 'InvitationCreated')).toBe(true);
    expect(emulator.invitations()).toHaveLength(60);
    expect(gateway.output()).toMatch(/shut down cleanly/);
  });
});
