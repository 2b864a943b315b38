import { Kind, parse, validate } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { CREATE_INVITATIONS, outcome, startStack, type Stack } from '../support/stack.ts';
import { redisProxy, redisReachable } from '../support/redis.ts';
import { startEmulator } from '../../src/emulator/index.ts';
import { graphiqlDefaults } from '../../src/graphiql-example.ts';
import { createLogger } from '../../src/logger.ts';
import { schema } from '../../src/schema/index.ts';
import { startGatewayProcess } from '../support/gateway-process.ts';
import { createClerkProbe } from '../../src/readiness.ts';

let stack: Stack | undefined;
afterEach(() => stack?.close());

const CLERK_STATUS = '{ gatewayStatus { clerk { reachable lastCheckedAt lastError } } }';
const clerkGauge = async (s: Stack) => /^gateway_clerk_reachable (\S+)$/m.exec(await s.app.metrics.registry.metrics())?.[1];

describe('health', () => {
  it('/readyz stays ready while Clerk fails: a Clerk blip must not take every replica out at once', async () => {
    stack = await startStack();
    stack.emulator.faults.add({ route: 'list', fault: 'error500-before-commit' });
    const response = await stack.fetch('/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', reasons: [] });
    expect((await stack.fetch('/healthz')).status).toBe(200);
    // Readiness no longer asks Clerk at all.
    expect(stack.emulator.calls.filter((c) => c.route === 'list')).toHaveLength(0);
  });

  it('reports Clerk failing in gatewayStatus.clerk and gateway_clerk_reachable, without quoting the secret key', async () => {
    stack = await startStack();
    stack.emulator.faults.add({ route: 'list', fault: 'error500-before-commit' });
    const { body } = await stack.request(CLERK_STATUS);
    const clerk = body.data.gatewayStatus.clerk;
    expect(clerk.reachable).toBe(false);
    expect(clerk.lastError).toEqual(expect.any(String));
    expect(clerk.lastError.length).toBeLessThanOrEqual(200);
    expect(clerk.lastError).not.toContain(stack.secretKey);
    expect(Number.isNaN(Date.parse(clerk.lastCheckedAt))).toBe(false);
    expect(await clerkGauge(stack)).toBe('0');
  });

  it('reports Clerk reachable when it answers, and counts a 429 as reachable (busy, not down)', async () => {
    stack = await startStack();
    expect(await clerkGauge(stack)).toBe('1');
    const { body } = await stack.request(CLERK_STATUS);
    expect(body.data.gatewayStatus.clerk).toMatchObject({ reachable: true, lastError: null });
    await stack.close();
    stack = await startStack();
    stack.emulator.faults.add({ route: 'list', fault: 'rate-limit', retryAfterSeconds: 30, times: 1 });
    expect((await stack.request(CLERK_STATUS)).body.data.gatewayStatus.clerk).toMatchObject({ reachable: true, lastError: null });
    expect(stack.emulator.calls.map((c) => c.status)).toEqual([429]);
  });

  it('cannot flood Clerk: many status queries and scrapes inside the cache period make one Clerk call', async () => {
    stack = await startStack();
    await Promise.all(Array.from({ length: 20 }, () => stack!.request(CLERK_STATUS)));
    for (let i = 0; i < 5; i += 1) await stack.app.metrics.registry.metrics();
    expect(stack.emulator.calls.filter((c) => c.route === 'list')).toHaveLength(1);
  });
});

describe('the Clerk probe', () => {
  it('probes again only after its cache period, and follows Clerk failing and recovering', async () => {
    stack = await startStack();
    let now = 1_000_000;
    const probe = createClerkProbe({ upstream: stack.app.services.upstream, logger: createLogger({ level: 'silent' }), cacheMs: 15_000, now: () => now });
    const lists = () => stack!.emulator.calls.filter((c) => c.route === 'list').length;
    expect(await probe.check()).toEqual({ reachable: true, lastCheckedAt: 1_000_000, lastError: null });
    stack.emulator.faults.add({ route: 'list', fault: 'error500-before-commit' });
    now += 14_999;
    expect((await probe.check()).reachable).toBe(true);
    expect(lists()).toBe(1);
    now += 1;
    expect(await probe.check()).toMatchObject({ reachable: false, lastCheckedAt: now });
    stack.emulator.faults.clear();
    now += 15_000;
    expect(await probe.check()).toMatchObject({ reachable: true, lastError: null });
  });

  it('keeps its last verdict when the gateway\'s own general budget refuses the probe (Clerk was not asked)', async () => {
    stack = await startStack({ env: { UPSTREAM_GENERAL_PER_10S: '1', UPSTREAM_GENERAL_RESERVE_PERCENT: '0' } });
    let now = 0;
    const probe = createClerkProbe({ upstream: stack.app.services.upstream, logger: createLogger({ level: 'silent' }), now: () => now });
    const first = await probe.check();
    expect(first.reachable).toBe(true);
    now += 60_000;
    expect(await probe.check()).toEqual(first);
    expect(stack.emulator.calls.filter((c) => c.route === 'list')).toHaveLength(1);
  });
});

/** The options the gateway handed GraphiQL, as embedded in its page. */
async function graphiqlOptions(s: Stack): Promise<{ defaultQuery: string; headers?: string }> {
  const html = await (await s.fetch('/graphql', { headers: { accept: 'text/html' } })).text();
  const match = /renderYogaGraphiQL\(\s*[^,]+,\s*(\{.*\}),\s*\);/s.exec(html);
  if (!match) throw new Error('no GraphiQL options in the page');
  return JSON.parse(match[1]!);
}

describe('GraphiQL outside demo mode', () => {
  it('opens with a read-only query that invites nobody when run, and a headers template holding no key', async () => {
    stack = await startStack({ env: { GRAPHIQL: 'true' } });
    const options = await graphiqlOptions(stack);
    const document = parse(options.defaultQuery);
    const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    expect(operations.map((o) => o.operation)).toEqual(['query']);
    expect(validate(schema, document)).toEqual([]);
    expect(JSON.parse(options.headers!)).toEqual({ Authorization: 'Bearer <key>' });

    const { body } = await stack.request(options.defaultQuery);
    expect(body.errors).toBeUndefined();
    expect(body.data.gatewayStatus.clerk.reachable).toBe(true);
    expect(stack.emulator.calls.filter((c) => c.route !== 'list')).toEqual([]);
    expect(stack.emulator.invitations()).toEqual([]);
  });

  it('keeps the invite example for demo mode only, where GraphiQL carries the demo key', () => {
    const demo = graphiqlDefaults({ authorization: 'Bearer gwk_demo' });
    expect(demo.defaultQuery).toContain('mutation InviteTeammates');
    expect(JSON.parse(demo.headers)).toEqual({ authorization: 'Bearer gwk_demo' });
    expect(graphiqlDefaults(undefined).defaultQuery).not.toMatch(/^\s*mutation/m);
  });
});

describe('startup log', () => {
  it('names no GraphiQL address when GraphiQL is off, names it when it is on, and warns of a clamped setting', { timeout: 60_000 }, async () => {
    const emulator = await startEmulator({ port: 0 });
    const env = { NODE_ENV: 'production', CLERK_SECRET_KEY: emulator.secretKeys[0]!, CLERK_API_URL: emulator.url };
    const off = await startGatewayProcess({ ...env, BATCH_WINDOW_MAX_MS: '20000' });
    const on = await startGatewayProcess({ ...env, GRAPHIQL: 'true' });
    try {
      await expect.poll(() => on.output(), { timeout: 10_000 }).toMatch(/"msg":"GraphiQL: http:\/\/127\.0\.0\.1:\d+\/graphql"/);
      await expect.poll(() => off.output(), { timeout: 10_000 }).toMatch(/"msg":"listening on http:\/\/127\.0\.0\.1:\d+"/);
      expect(off.output()).not.toContain('GraphiQL');
      expect(off.output()).toMatch(/"level":40,.*"msg":"BATCH_WINDOW_MAX_MS=20000 is clamped to 10000 ms/);
      expect(on.output()).not.toContain('clamped');
    } finally {
      await Promise.all([off.stop(), on.stop()]);
      await emulator.close();
    }
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
