import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { startGatewayProcess, testApiKey, type GatewayProcess } from '../support/gateway-process.ts';
import { CREATE_INVITATIONS, type Payload } from '../support/stack.ts';

let emulator: Emulator;
let gateway: GatewayProcess;
const key = testApiKey('waiters');

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  gateway = await startGatewayProcess({
    CLERK_SECRET_KEY: emulator.secretKeys[0]!,
    CLERK_API_URL: emulator.url,
    GATEWAY_API_KEYS: key.entry,
    UPSTREAM_TIMEOUT_MS: '2000',
    REQUEST_TIMEOUT_MS: '8000',
    BATCH_WINDOW_MS: '20',
  });
}, 30_000);
afterAll(async () => {
  await gateway?.stop('SIGKILL');
  await emulator?.close();
});

describe('askers of one address while Clerk hangs', () => {
  it('are each answered by their own deadline, and SIGTERM answers all of them and exits 0', async () => {
    emulator.faults.add({ route: 'bulk', fault: 'hang' }, { route: 'single', fault: 'hang' });
    const started = Date.now();
    const asks = Array.from({ length: 4 }, async () => {
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...key.headers },
        body: JSON.stringify({ query: CREATE_INVITATIONS, variables: { invitations: [{ emailAddress: 'busy@example.com' }] } }),
      });
      const body = (await response.json()) as { data: { createInvitations: Payload } };
      return { ms: Date.now() - started, result: body.data.createInvitations.results[0]! };
    });
    await new Promise((r) => setTimeout(r, 500));
    gateway.child.kill('SIGTERM');
    const answers = await Promise.all(asks);
    expect(await gateway.exited).toBe(0);
    // REQUEST_TIMEOUT_MS plus the 1 s backstop at most, for every asker, not 8 s more per asker ahead of it.
    for (const { ms } of answers) expect(ms).toBeLessThan(8_000 + 1_000 + 500);
    expect(answers.map((a) => a.result.__typename)).toEqual(['InvitationFailed', 'InvitationFailed', 'InvitationFailed', 'InvitationFailed']);
  }, 30_000);
});
