import { afterEach, describe, expect, it, vi } from 'vitest';
import { emails, startStack, type Payload, type Stack } from '../support/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await stack?.close();
});

// Captured before any test fakes timers: waiting for requests to reach the batcher takes real I/O turns.
const realTimeout = setTimeout;
const turn = () => new Promise((resolve) => realTimeout(resolve, 1));
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 5_000 && !condition(); i += 1) await turn();
  if (!condition()) throw new Error('condition not reached');
}

const sizes = (s: Stack) => s.bulkCalls().map((c) => (Array.isArray(c.body) ? c.body.length : 0));
/** Batches that have left the batcher, from the gateway's own batch-size histogram. */
async function batchesLeft(s: Stack): Promise<number> {
  const metric = await s.app.metrics.registry.getSingleMetric('gateway_batch_size')!.get();
  const values = metric.values as Array<{ metricName?: string; value: number }>;
  return values.find((v) => v.metricName === 'gateway_batch_size_count')?.value ?? 0;
}

/**
 * The batching window's timers are faked; requests reach the batcher through real I/O turns. Clerk's
 * client (Node's fetch) uses the same global timers, so a test lets real ones back before awaiting calls.
 */
const fakeWindowTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });

describe('bursts through the in-process stack', () => {
  it('packs 100 concurrent one-item createInvitations into exactly 10 bulk calls of 10', async () => {
    stack = await startStack();
    const payloads = await Promise.all(emails(100, 'burst').map((address) => stack!.invite([address])));
    expect(payloads.reduce((sum, p) => sum + p.createdCount, 0)).toBe(100);
    expect(sizes(stack)).toEqual(Array(10).fill(10));
    expect(stack.singleCalls()).toHaveLength(0);
  });

  it('packs a burst that lasts longer than the window into full calls while its items keep coming', async () => {
    // The default 20 ms window; items of the burst arrive 3 at a time, 15 ms apart: 500 ms in all.
    stack = await startStack();
    fakeWindowTimers();
    const answers: Promise<Payload>[] = [];
    let answered = 0;
    const addresses = emails(100, 'wave');
    for (let sent = 0; sent < addresses.length; ) {
      for (const address of addresses.slice(sent, sent + 3)) answers.push(stack.invite([address]).finally(() => answered++));
      sent = Math.min(addresses.length, sent + 3);
      // Every item sent so far waits in the open batch, is in flight, or has its answer.
      await until(() => stack!.app.services.families.pending + answered === sent);
      await vi.advanceTimersByTimeAsync(15);
    }
    await vi.advanceTimersByTimeAsync(20);
    vi.useRealTimers();
    const payloads = await Promise.all(answers);
    expect(payloads.reduce((sum, p) => sum + p.createdCount, 0)).toBe(100);
    // Measured from the first item alone, the window closed after two waves: sixteen calls of 6 or 7.
    expect(sizes(stack)).toEqual(Array(10).fill(10));
  });

  it('sends a lone request when the normal window ends, not later', async () => {
    stack = await startStack();
    fakeWindowTimers();
    const answer = stack.invite(['lone@example.com']);
    await until(() => stack!.app.services.families.pending === 1);
    await vi.advanceTimersByTimeAsync(19);
    expect(await batchesLeft(stack)).toBe(0);
    // The window's end and the one event-loop turn the batch yields before it leaves (a setImmediate,
    // which fake timers place 1 ms on when it is set inside a tick): 21 fake ms, and nothing later.
    await vi.advanceTimersByTimeAsync(2);
    expect(await batchesLeft(stack)).toBe(1);
    // Clerk's client runs on the same timers: real ones from here on.
    vi.useRealTimers();
    expect((await answer).createdCount).toBe(1);
    // One item costs less of the single allowance than of the bulk one.
    expect(stack.singleCalls()).toHaveLength(1);
  });
});
