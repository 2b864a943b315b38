import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTANCE } from '../../src/batcher/families.ts';
import { createLogger } from '../../src/logger.ts';
import { JobRunner } from '../../src/queue/job-runner.ts';
import { MemoryJobStore } from '../../src/queue/memory-job-store.ts';
import { startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

describe("items a dead replica left in flight", () => {
  it('are reported as the invitations its call made, and only what provably does not exist is sent', async () => {
    const store = new MemoryJobStore();
    const emails = Array.from({ length: 4 }, (_, i) => `orphan-${i}@example.com`);
    const { meta } = await store.create({
      id: 'job_orphans',
      owner: 'apikey:test',
      family: INSTANCE,
      fingerprint: 'f',
      items: emails.map((emailAddress) => ({ emailAddress, params: { emailAddress } })),
      settled: new Map(),
      createdAt: Date.now(),
    });
    // The dead replica claimed all four, and its bulk call for the first three reached Clerk, unanswered.
    await store.claim(meta.id, 4, 'dead-replica', Date.now());
    const clerk = createClerkClient({ secretKey: stack.secretKey, apiUrl: stack.emulator.url });
    const made = await clerk.invitations.createInvitationBulk(emails.slice(0, 3).map((emailAddress) => ({ emailAddress })));
    const callsBefore = stack.emulator.calls.length;

    const runner = new JobRunner(meta, 'alive-replica', {
      store,
      lane: (family) => stack.app.services.families.lane(family),
      publish: () => {},
      orphanAfterMs: 0,
      logger: createLogger({ level: 'silent' }),
    });
    runner.start();
    expect(await runner.done).toBe('finished');

    const results = await store.results(meta.id, 0, 4);
    expect(results.slice(0, 3).map((r) => (r.result?.kind === 'created' ? r.result.invitation.id : r.result?.kind))).toEqual(made.map((inv) => inv.id));
    expect(results[3]!.result?.kind).toBe('created');
    // One invitation per address at Clerk: the three were looked up, not sent again; the fourth was sent once.
    const byAddress = new Map<string, number>();
    for (const inv of stack.emulator.invitations()) byAddress.set(inv.emailAddress, (byAddress.get(inv.emailAddress) ?? 0) + 1);
    expect(emails.map((e) => byAddress.get(e))).toEqual([1, 1, 1, 1]);
    const creates = stack.emulator.calls.slice(callsBefore).filter((c) => c.route === 'bulk' || c.route === 'single');
    expect(creates.map((c) => JSON.stringify(c.body))).toEqual([expect.stringContaining('orphan-3@example.com')]);
  });
});
