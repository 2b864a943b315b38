import { afterEach, describe, expect, it } from 'vitest';
import { CREATE_INVITATIONS, outcome, startStack, type Stack } from '../support/stack.ts';
import { redisProxy, redisReachable } from '../support/redis.ts';

let stack: Stack | undefined;
afterEach(() => stack?.close());

describe('health', () => {
  it('/healthz answers while /readyz follows Clerk reachability', async () => {
    stack = await startStack();
    expect((await stack.fetch('/healthz')).status).toBe(200);
    expect(await (await stack.fetch('/readyz')).json()).toEqual({ status: 'ready', reasons: [] });
    await stack.close();
    stack = await startStack();
    stack.emulator.faults.add({ route: 'list', fault: 'error500-before-commit' });
    const response = await stack.fetch('/readyz');
    expect(response.status).toBe(503);
    expect((await response.json()).reasons).toEqual(['clerk unreachable']);
    expect((await stack.fetch('/healthz')).status).toBe(200);
  });
});

describe('request ids and logs', () => {
  it('returns the request id, carries it into the Clerk call log line, and masks addresses', async () => {
    stack = await startStack({ logLevel: 'info', env: { LOG_LEVEL: 'info' } });
    const { response } = await stack.request(CREATE_INVITATIONS, { invitations: [{ emailAddress: 'grace.hopper@example.com' }] }, { 'x-request-id': 'req-42' });
    expect(response.headers.get('x-request-id')).toBe('req-42');
    const generated = (await stack.request('{ __typename }')).response.headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);

    const lines = stack.logs.map((l) => JSON.parse(l));
    const call = lines.find((l) => l.msg?.startsWith('clerk single call'));
    expect(call).toMatchObject({ channel: 'single', result: 'ok', requestIds: ['req-42'] });
    expect(lines.find((l) => l.requestId === 'req-42' && l.path === '/graphql')).toMatchObject({ status: 200 });
    const all = stack.logs.join('\n');
    expect(all).not.toContain('grace.hopper@example.com');
    expect(all).not.toContain(stack.secretKey);
    expect(all).not.toContain(stack.apiKey);
  });
});

describe('idempotent retries', () => {
  it('returns the first answer for a retry with the same key, by argument or header, without inviting again', async () => {
    stack = await startStack();
    const mutation = `mutation ($i: [InvitationInput!]!, $k: String) { createInvitations(invitations: $i, idempotencyKey: $k) { createdCount results { __typename ... on InvitationCreated { invitation { id } } } } }`;
    const invitations = [{ emailAddress: 'once@example.com' }];
    const first = await stack.request(mutation, { i: invitations, k: 'retry-1' });
    const second = await stack.request(mutation, { i: invitations, k: 'retry-1' });
    expect(second.body.data).toEqual(first.body.data);
    expect(first.body.data.createInvitations.createdCount).toBe(1);

    const viaHeader = () => stack!.request(CREATE_INVITATIONS, { invitations: [{ emailAddress: 'hdr@example.com' }] }, { 'idempotency-key': 'retry-2' });
    const [a, b] = await Promise.all([viaHeader(), viaHeader()]);
    expect(a.body.data).toEqual(b.body.data);
    expect(stack.emulator.invitations()).toHaveLength(2);

    const reused = await stack.request(mutation, { i: [{ emailAddress: 'other@example.com' }], k: 'retry-1' });
    expect(reused.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // Without a key the same call is a new call: Clerk refuses the second pending invitation.
    const again = await stack.invite(invitations);
    expect(outcome(again.results[0]!)).toBe('ALREADY_INVITED');
  });
});

describe('the Idempotency-Key header', () => {
  it('refuses a second createInvitations field in the same operation instead of replaying the first', async () => {
    stack = await startStack();
    const doc = `mutation { a: createInvitations(invitations: [{ emailAddress: "a1@example.com" }]) { createdCount }
      b: createInvitations(invitations: [{ emailAddress: "b1@example.com" }]) { createdCount } }`;
    const { body } = await stack.request(doc, undefined, { 'idempotency-key': 'shared' });
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(stack.emulator.calls).toHaveLength(0);
    // Keys given as arguments do not make two fields one call: each request carries one createInvitations.
    const keyed = `mutation { a: createInvitations(invitations: [{ emailAddress: "a1@example.com" }], idempotencyKey: "k-a") { createdCount }
      b: createInvitations(invitations: [{ emailAddress: "b1@example.com" }], idempotencyKey: "k-b") { createdCount } }`;
    expect((await stack.request(keyed)).body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(stack.emulator.calls).toHaveLength(0);
  });
});

describe('idempotent retries and the caller limit', () => {
  it('answers a replay from the stored answer without spending the caller limit', async () => {
    stack = await startStack({ env: { RATE_LIMIT_MAX: '1' } });
    const invitations = [{ emailAddress: 'limited@example.com' }];
    const first = await stack.request(CREATE_INVITATIONS, { invitations }, { 'idempotency-key': 'once' });
    expect(first.body.data?.createInvitations.createdCount).toBe(1);
    const replay = await stack.request(CREATE_INVITATIONS, { invitations }, { 'idempotency-key': 'once' });
    expect(replay.response.status).toBe(200);
    expect(replay.body.data).toEqual(first.body.data);
    const fresh = await stack.request(CREATE_INVITATIONS, { invitations: [{ emailAddress: 'new@example.com' }] });
    expect(fresh.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });
});

const redisUp = await redisReachable('the gateway when Redis goes away');
describe.skipIf(!redisUp)('Redis failure', () => {
  it('fails closed while Redis is gone, reports not ready, and recovers by itself', async () => {
    const proxy = await redisProxy();
    stack = await startStack({ env: { REDIS_URL: proxy.url } });
    const ok = await stack.invite(['before@example.com']);
    expect(outcome(ok.results[0]!)).toBe('CREATED');

    await proxy.cut();
    const during = await stack.request(CREATE_INVITATIONS, { invitations: [{ emailAddress: 'during@example.com' }] });
    expect(during.response.status).toBe(503);
    expect(during.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect((await stack.fetch('/readyz')).status).toBe(503);
    expect(stack.emulator.invitations().map((i) => i.emailAddress)).toEqual(['before@example.com']);

    await proxy.restore();
    await expect.poll(async () => (await stack!.fetch('/readyz')).status, { timeout: 10_000, interval: 200 }).toBe(200);
    const after = await stack.invite(['after@example.com']);
    expect(outcome(after.results[0]!)).toBe('CREATED');
    await stack.close();
    stack = undefined;
    await proxy.close();
  });
});
