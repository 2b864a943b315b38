import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApiKey } from '../support/gateway-process.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { print } from 'graphql';
import { SubmitOrganizationInvitationsDocument } from '../../client/generated/graphql.js';
import { CREATE_INVITATIONS } from '../support/stack.ts';
import { allResults, CANCEL, JOB, JOBS, SUBMIT, waitFinished, type JobView } from './queue-client.ts';

const SUBMIT_ORG = print(SubmitOrganizationInvitationsDocument);

const other = testApiKey('other');
const capped = testApiKey('capped', '5/1d');
const retrying = testApiKey('retrying', '5/1d');
let stack: Stack;

beforeAll(async () => {
  // No REDIS_URL: the queue lives in this process.
  stack = await startStack({ env: { GATEWAY_API_KEYS: [other.entry, capped.entry, retrying.entry].join(','), BATCH_WINDOW_MS: '10', BATCH_WINDOW_MAX_MS: '200' } });
});
afterAll(() => stack?.close());

const send = async (query: string, variables: Record<string, unknown>, headers?: Record<string, string | null>) => (await stack.request(query, variables, headers)).body;

describe('the in-memory invitation queue', () => {
  it('answers at once, settles invalid items at submit, and sends the rest in full bulk calls', async () => {
    const invitations = [
      ...Array.from({ length: 30 }, (_, i) => ({ emailAddress: `mem-${i}@example.com` })),
      { emailAddress: 'not-an-email' },
      { emailAddress: 'mem-0@example.com' },
    ];
    const bulkBefore = stack.bulkCalls().length;
    const submitted = await send(SUBMIT, { invitations });
    const job = submitted.data.submitInvitations as JobView;
    expect(job.total).toBe(32);
    expect(job.failedCount).toBe(2);
    expect(['QUEUED', 'RUNNING']).toContain(job.state);

    const [done] = await waitFinished(send, [job.id], 20_000);
    expect(done!.state).toBe('DONE');
    expect(done!.createdCount).toBe(30);
    const { edges } = await allResults(send, job.id);
    expect(edges.map((e) => e.index)).toEqual([...Array(32).keys()]);
    expect(edges.slice(0, 30).every((e) => e.result?.__typename === 'InvitationCreated')).toBe(true);
    expect(edges.slice(30).map((e) => e.result?.code)).toEqual(['INVALID_INPUT', 'INVALID_INPUT']);
    // Every created invitation reported is the one Clerk holds for that address.
    const stored = new Map(stack.emulator.invitations().map((inv) => [inv.emailAddress, inv.id]));
    for (const e of edges.slice(0, 30)) expect(e.result?.invitation?.id).toBe(stored.get(e.emailAddress));
    const bulks = stack.bulkCalls().slice(bulkBefore);
    expect(bulks).toHaveLength(3);
  });

  it('shows a job only to the caller who submitted it', async () => {
    const job = (await send(SUBMIT, { invitations: [{ emailAddress: 'mine@example.com' }] })).data.submitInvitations as JobView;
    const stranger = await send(JOB, { id: job.id, first: 1 }, other.headers);
    expect(stranger.data.invitationJob).toBeNull();
    const list = await send(JOBS, {}, other.headers);
    expect(list.data.invitationJobs.edges.map((e: { node: JobView }) => e.node.id)).not.toContain(job.id);
    const cancel = await send(CANCEL, { id: job.id }, other.headers);
    expect(cancel.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    const mine = await send(JOBS, {});
    expect(mine.data.invitationJobs.edges.map((e: { node: JobView }) => e.node.id)).toContain(job.id);
  });

  it('returns the same job for a retried submit with the same idempotency key', async () => {
    const invitations = [{ emailAddress: 'idem-1@example.com' }, { emailAddress: 'idem-2@example.com' }];
    const first = (await send(SUBMIT, { invitations, idempotencyKey: 'import-7' })).data.submitInvitations as JobView;
    const again = (await send(SUBMIT, { invitations, idempotencyKey: 'import-7' })).data.submitInvitations as JobView;
    expect(again.id).toBe(first.id);
    const different = await send(SUBMIT, { invitations: [{ emailAddress: 'idem-3@example.com' }], idempotencyKey: 'import-7' });
    expect(different.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    await waitFinished(send, [first.id], 20_000);
    expect(stack.emulator.invitations().filter((i) => i.emailAddress.startsWith('idem-'))).toHaveLength(2);
  });

  it('refuses an empty list and more than MAX_INVITATIONS_PER_JOB items', async () => {
    expect((await send(SUBMIT, { invitations: [] })).errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const tooMany = Array.from({ length: 10_001 }, (_, i) => ({ emailAddress: `x${i}@example.com` }));
    expect((await send(SUBMIT, { invitations: tooMany })).errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it("counts queued items against the caller's own limit, apart from createInvitations", async () => {
    const items = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ emailAddress: `capped-${tag}-${i}@example.com` }));
    const first = await stack.request(SUBMIT, { invitations: items(4, 'a') }, capped.headers);
    expect(first.body.data?.submitInvitations.total).toBe(4);
    // The draft-ietf-httpapi-ratelimit-headers fields, under the queue's own policy name.
    expect(first.response.headers.get('ratelimit-policy')).toBe('"queued-invitations";q=5;w=86400');
    expect(first.response.headers.get('ratelimit')).toMatch(/^"queued-invitations";r=1;t=\d+$/);
    const over = await send(SUBMIT, { invitations: items(2, 'b') }, capped.headers);
    expect(over.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
    expect((await send(CREATE_INVITATIONS, { invitations: items(2, 'c') }, capped.headers)).data?.createInvitations.createdCount).toBe(2);
  });

  it('does not count a retried submit that finds its job again, and still counts new work', async () => {
    const items = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ emailAddress: `retry-${tag}-${i}@example.com` }));
    const first = (await send(SUBMIT, { invitations: items(4, 'a'), idempotencyKey: 'nightly-1' }, retrying.headers)).data?.submitInvitations as JobView;
    // Two more retries of the same submit: counted, they would spend 12 of 5.
    for (let i = 0; i < 2; i++) {
      const again = await send(SUBMIT, { invitations: items(4, 'a'), idempotencyKey: 'nightly-1' }, retrying.headers);
      expect(again.errors).toBeUndefined();
      expect(again.data?.submitInvitations.id).toBe(first.id);
    }
    // The same key with another list is no retry: it is refused for the key, and it spends the limit.
    const reused = await send(SUBMIT, { invitations: items(1, 'b'), idempotencyKey: 'nightly-1' }, retrying.headers);
    expect(reused.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const over = await send(SUBMIT, { invitations: items(1, 'c') }, retrying.headers);
    expect(over.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
    await waitFinished((query, variables) => send(query, variables, retrying.headers), [first.id], 20_000);
    expect(stack.emulator.invitations().filter((i) => i.emailAddress.startsWith('retry-'))).toHaveLength(4);
  });

  it('queues organization invitations through the organization lane', async () => {
    stack.emulator.seedOrganization({ id: 'org_queue', name: 'Queue' });
    const invitations = Array.from({ length: 12 }, (_, i) => ({ emailAddress: `mate-${i}@example.com`, role: 'org:member' }));
    const job = (await send(SUBMIT_ORG, { organizationId: 'org_queue', invitations })).data.submitOrganizationInvitations as JobView;
    const [done] = await waitFinished(send, [job.id], 20_000);
    expect(done).toMatchObject({ state: 'DONE', createdCount: 12 });
    const stored = stack.emulator.organizationInvitations('org_queue');
    expect(stored).toHaveLength(12);
    const { edges } = await allResults(send, job.id);
    expect(edges.map((e) => e.result?.invitation?.id).sort()).toEqual(stored.map((i) => i.id).sort());
    expect(stack.emulator.calls.some((c) => c.path === '/v1/organizations/org_queue/invitations/bulk')).toBe(true);
  });
});
