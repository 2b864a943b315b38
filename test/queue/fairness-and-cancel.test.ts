import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApiKey } from '../support/gateway-process.ts';
import { redisReachable, REDIS_URL } from '../support/redis.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { allResults, CANCEL, JOB, SUBMIT, waitFinished, type JobView } from './queue-client.ts';

const redisUp = await redisReachable('queue-fairness');
// "An hour" of 3 s holding 3 bulk and 6 single calls: 36 invitations a window.
const WINDOW = { text: '3s', ms: 3_000, bulk: 3, single: 6, items: 36 };
const big = testApiKey('big-importer');
const small = testApiKey('small-team');
let stack: Stack;

beforeAll(async () => {
  if (!redisUp) return;
  stack = await startStack({
    env: {
      REDIS_URL,
      GATEWAY_API_KEYS: [big.entry, small.entry].join(','),
      UPSTREAM_BULK_PER_HOUR: String(WINDOW.bulk),
      UPSTREAM_SINGLE_PER_HOUR: String(WINDOW.single),
      UPSTREAM_BUDGET_WINDOW: WINDOW.text,
      BATCH_WINDOW_MS: '10',
      BATCH_WINDOW_MAX_MS: '200',
      QUEUE_LOCK_MS: '5000',
    },
    // 10% shorter at Clerk: the margin an hour-long budget keeps (see queue-replicas.test.ts).
    emulator: { limits: { bulkPerHour: WINDOW.bulk, singlePerHour: WINDOW.single, windowMs: WINDOW.ms * 0.9 } },
  });
});
afterAll(() => stack?.close());

const as = (key: { headers: Record<string, string> }) => async (query: string, variables: Record<string, unknown>) =>
  (await stack.request(query, variables, key.headers)).body;
const createdFor = (prefix: string) => stack.emulator.invitations().filter((i) => i.emailAddress.startsWith(prefix)).length;

async function until(check: () => boolean, timeoutMs: number) {
  const giveUp = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > giveUp) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.runIf(redisUp)('a queue shared by callers', () => {
  it("serves a caller's 5 items within two budget windows of one caller's 500, and a cancel sends nothing more", async () => {
    const run = randomUUID().slice(0, 8);
    const bigJob = (await as(big)(SUBMIT, { invitations: Array.from({ length: 500 }, (_, i) => ({ emailAddress: `${run}-big-${i}@example.com` })) }))
      .data.submitInvitations as JobView;
    // The first window is spent on the big job before the small one arrives.
    await until(() => createdFor(`${run}-big`) >= WINDOW.items - 6, 30_000);
    const smallBody = await as(small)(SUBMIT, { invitations: Array.from({ length: 5 }, (_, i) => ({ emailAddress: `${run}-small-${i}@example.com` })) });
    const smallJob = smallBody.data.submitInvitations as JobView;
    const bigBefore = createdFor(`${run}-big`);
    const estimates = await Promise.all([as(big)(JOB, { id: bigJob.id, first: 1 }), as(small)(JOB, { id: smallJob.id, first: 1 })]);
    const [bigEta, smallEta] = estimates.map((b) => Date.parse(b.data.invitationJob.estimatedCompletionAt));
    expect(smallEta).toBeLessThan(bigEta!);

    const [done] = await waitFinished(as(small), [smallJob.id], 30_000);
    expect(done!.createdCount).toBe(5);
    // Counted in invitations, not seconds: the big caller got at most two windows' worth meanwhile.
    expect(createdFor(`${run}-big`) - bigBefore).toBeLessThanOrEqual(2 * WINDOW.items);

    const cancelled = (await as(big)(CANCEL, { id: bigJob.id })).data.cancelInvitationJob as JobView;
    expect(cancelled.state).toBe('CANCELLED');
    const [settled] = await waitFinished(as(big), [bigJob.id], 15_000);
    const atClerk = createdFor(`${run}-big`);
    expect(settled!.createdCount).toBe(atClerk);
    expect(settled!.pendingCount).toBe(0);
    const { edges } = await allResults(as(big), bigJob.id);
    const codes = edges.map((e) => e.result?.__typename === 'InvitationCreated' ? 'CREATED' : e.result?.code);
    expect(codes.filter((c) => c === 'CREATED')).toHaveLength(atClerk);
    expect(codes.filter((c) => c === 'CANCELLED')).toHaveLength(500 - atClerk);
    // A full window later, nothing more of the cancelled job reached Clerk.
    await new Promise((r) => setTimeout(r, WINDOW.ms + 500));
    expect(createdFor(`${run}-big`)).toBe(atClerk);
    // Cancelling again changes nothing; another caller cannot cancel or see it.
    expect(((await as(big)(CANCEL, { id: bigJob.id })).data.cancelInvitationJob as JobView).createdCount).toBe(atClerk);
    expect((await as(small)(CANCEL, { id: bigJob.id })).errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    expect((await as(small)(JOB, { id: bigJob.id, first: 1 })).data.invitationJob).toBeNull();
  }, 90_000);
});
