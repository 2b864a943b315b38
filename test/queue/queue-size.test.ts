import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.ts';
import { CANCEL, JOB, SUBMIT, type JobView } from './queue-client.ts';

let stack: Stack;

beforeAll(async () => {
  // One bulk and one single call an hour, spent below, so queued items stay queued.
  stack = await startStack({ env: { UPSTREAM_BULK_PER_HOUR: '1', UPSTREAM_SINGLE_PER_HOUR: '1', MAX_QUEUED_INVITATIONS: '20', BATCH_WINDOW_MS: '10' } });
});
afterAll(() => stack?.close());

const send = async (query: string, variables: Record<string, unknown>) => (await stack.request(query, variables)).body;
const list = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ emailAddress: `${tag}-${i}@example.com` }));

describe('MAX_QUEUED_INVITATIONS', () => {
  it('refuses a job that would take the queue past it, counts only valid items, and takes work again once some leaves', async () => {
    await stack.invite(list(10, 'spend').map((i) => i.emailAddress));
    await stack.invite(['spend-single@example.com']);
    const calls = stack.emulator.calls.length;

    const first = (await send(SUBMIT, { invitations: list(15, 'first'), idempotencyKey: 'first' })).data.submitInvitations as JobView;
    expect(first.pendingCount).toBe(15);
    const over = await send(SUBMIT, { invitations: list(6, 'over') });
    expect(over.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 60 });
    expect(over.errors?.[0]?.message).toMatch(/holds 15 invitations and takes at most 20; these 6 were not queued/);
    // Invalid items are settled at submit and take no room.
    const mixed = (await send(SUBMIT, { invitations: [...list(5, 'fits'), { emailAddress: 'not-an-address' }] })).data.submitInvitations as JobView;
    expect(mixed).toMatchObject({ total: 6, pendingCount: 5, failedCount: 1 });
    // Full: a retry of a stored job is still answered, a new one is not.
    expect((await send(SUBMIT, { invitations: list(15, 'first'), idempotencyKey: 'first' })).data.submitInvitations.id).toBe(first.id);
    expect((await send(SUBMIT, { invitations: list(1, 'one-more') })).errors?.[0]?.extensions?.['code']).toBe('SERVICE_UNAVAILABLE');

    // Cancelling frees the room its pending items took.
    expect((await send(CANCEL, { id: first.id })).data.cancelInvitationJob.state).toBe('CANCELLED');
    const after = (await send(SUBMIT, { invitations: list(15, 'after') })).data.submitInvitations as JobView;
    expect(after.pendingCount).toBe(15);
    expect((await send(JOB, { id: after.id, first: 1 })).data.invitationJob.state).toMatch(/QUEUED|RUNNING/);
    // Nothing was sent for any of it: the hour's calls were spent before.
    expect(stack.emulator.calls.filter((c) => c.route === 'bulk' || c.route === 'single').length).toBe(
      stack.emulator.calls.slice(0, calls).filter((c) => c.route === 'bulk' || c.route === 'single').length,
    );
  });
});
