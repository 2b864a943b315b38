import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.ts';
import { allResults, SUBMIT, waitFinished, type JobView } from './queue-client.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    // 5 bulk and 20 single calls per 2 s window: the cost rule sends 3 items as singles and 4 or more in
    // bulk. The emulator's limits are raised out of the way; the gateway's budget is what is tested.
    env: {
      UPSTREAM_BUDGET_WINDOW: '2s',
      UPSTREAM_BULK_PER_HOUR: '5',
      UPSTREAM_SINGLE_PER_HOUR: '20',
      BATCH_WINDOW_MS: '400',
      BATCH_WINDOW_MAX_MS: '400',
    },
    emulator: { limits: { bulkPerHour: 10_000, singlePerHour: 10_000 } },
  });
});
afterAll(() => stack?.close());

const send = async (query: string, variables: Record<string, unknown>) => (await stack.request(query, variables)).body;
const sizes = (from: number) => stack.bulkCalls().slice(from).map((c) => (c.body as unknown[]).length);

describe('the queue feeder', () => {
  it('sends the single creates it chose as singles, so no bulk call that frees up leaves part-filled', async () => {
    // Spend the window's bulk calls: five requests of ten items, each a full batch.
    await Promise.all(Array.from({ length: 5 }, (_, r) => stack.invite(Array.from({ length: 10 }, (_, i) => `spent-${r}-${i}@example.com`))));
    const bulkBefore = stack.bulkCalls().length;
    const singlesBefore = stack.singleCalls().length;
    expect(bulkBefore).toBe(5);

    const invitations = Array.from({ length: 30 }, (_, i) => ({ emailAddress: `fed-${i}@example.com` }));
    const job = (await send(SUBMIT, { invitations })).data.submitInvitations as JobView;
    // With bulk spent the feeder hands the lane three singles at a time, two calls' worth at once. Left
    // in one 400 ms batch window together they would make six items, which the cost rule sends in
    // bulk: once the window's bulk calls free up (2.1 s after they were spent), such a batch would
    // leave carrying 6 instead of 10.

    const [done] = await waitFinished(send, [job.id], 20_000);
    expect(done!.createdCount).toBe(30);
    const bulks = sizes(bulkBefore);
    expect(bulks.every((n) => n === 10), `bulk call sizes: ${bulks.join(', ')}`).toBe(true);
    // What the bulk calls did not carry went out one by one.
    expect(stack.singleCalls().length - singlesBefore).toBe(30 - bulks.length * 10);
    const { edges } = await allResults(send, job.id);
    const created = stack.emulator.invitations().filter((i) => i.emailAddress.startsWith('fed-'));
    expect(new Set(created.map((i) => i.emailAddress)).size).toBe(30);
    expect(created).toHaveLength(30);
    const stored = new Map(created.map((i) => [i.emailAddress, i.id]));
    for (const e of edges) expect(e.result?.invitation?.id).toBe(stored.get(e.emailAddress));
  });
});
