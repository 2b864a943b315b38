import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchDispatcher } from '../../src/batcher/dispatcher.ts';
import type { ChannelPolicy } from '../../src/batcher/channel-policy.ts';
import { MemoryBudget } from '../../src/budget/index.ts';
import { ClerkUpstream } from '../../src/clerk/upstream.ts';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import type { InvitationOutcome } from '../../src/invitations/types.ts';

let emulator: Emulator;
beforeEach(async () => {
  emulator = await startEmulator({ port: 0 });
  emulator.seedUsers(['member@example.com']);
});
afterEach(() => emulator.close());

function dispatcher(policy: ChannelPolicy) {
  const budget = new MemoryBudget({ bulkPerHour: 25, singlePerHour: 100 });
  const upstream = new ClerkUpstream({ secretKey: emulator.secretKeys[0]!, apiUrl: emulator.url, timeoutMs: 2_000 });
  return new BatchDispatcher({ upstream, budget, policy, bulkPerHour: 25, singlePerHour: 100, upstreamTimeoutMs: 2_000 });
}

const code = (r: InvitationOutcome) => (r.kind === 'created' ? 'CREATED' : r.code);
const others = (n: number) => Array.from({ length: n }, (_, i) => ({ emailAddress: `new${i}@example.com` }));

describe('ignoreExisting for an address that belongs to a user', () => {
  it.each([1, 3, 4, 10])('is invited whatever the batch size (%i items), through the one channel Clerk allows it on', async (size) => {
    const batch = [{ emailAddress: 'member@example.com', ignoreExisting: true }, ...others(size - 1)];
    const results = await dispatcher('auto').send(batch, Date.now() + 8_000);
    expect(results.map(code)).toEqual(batch.map(() => 'CREATED'));
    expect(emulator.invitations().filter((i) => i.emailAddress === 'member@example.com')).toHaveLength(1);
  });

  it('fails USER_EXISTS without ignoreExisting, whatever the batch size', async () => {
    for (const size of [1, 5]) {
      const [first] = await dispatcher('auto').send([{ emailAddress: 'member@example.com' }, ...others(size - 1).map((o) => ({ emailAddress: `${size}${o.emailAddress}` }))]);
      expect(first).toMatchObject({ kind: 'failed', code: 'USER_EXISTS' });
    }
    expect(emulator.invitations().filter((i) => i.emailAddress === 'member@example.com')).toHaveLength(0);
  });

  it('fails USER_EXISTS saying why when only bulk calls are allowed', async () => {
    const results = await dispatcher('bulk').send([{ emailAddress: 'member@example.com', ignoreExisting: true }, ...others(3)]);
    expect(results.map(code)).toEqual(['USER_EXISTS', 'CREATED', 'CREATED', 'CREATED']);
    expect(results[0]!.kind === 'failed' && results[0]!.message).toMatch(/bulk endpoint never invites existing users.*UPSTREAM_CHANNELS=bulk/);
    expect(emulator.calls.filter((c) => c.route === 'single')).toHaveLength(0);
  });
});
