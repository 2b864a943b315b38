import { randomBytes } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvitationsDocument } from '../../client/generated/graphql.ts';
import { budgetKeys } from '../../src/budget/redis-budget.ts';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { startGatewayProcess, testApiKey, type GatewayProcess } from '../support/gateway-process.ts';
import { connect, deleteUnder, redisReachable, REDIS_URL } from '../support/redis.ts';
import { CREATE_INVITATIONS, outcome, type Payload } from '../support/stack.ts';

// Two gateway processes on one Redis in front of an emulator that enforces Clerk's development general
// limit (100 requests / 10 s). The gateways take their share from the sk_test_ key: half of 100.
const redisUp = await redisReachable('general limit across two gateway processes');
const run = randomBytes(4).toString('hex');
// The admin list has its own caller limit (120 a minute), so the burst is spread over callers.
const callers = [testApiKey(`alice${run}`), testApiKey(`bob${run}`), testApiKey(`carol${run}`)];
const LIST = print(InvitationsDocument);
let emulator: Emulator;
let gateways: GatewayProcess[] = [];

beforeAll(async () => {
  if (!redisUp) return;
  emulator = await startEmulator({ port: 0, limits: { generalPer10s: 100, bulkPerHour: 1000, singlePerHour: 1000 } });
  const env = {
    CLERK_SECRET_KEY: emulator.secretKeys[0]!,
    CLERK_API_URL: emulator.url,
    REDIS_URL,
    RATE_LIMIT_MAX: '100000',
    UPSTREAM_BULK_PER_HOUR: '1000',
    UPSTREAM_SINGLE_PER_HOUR: '1000',
    UPSTREAM_CHANNELS: 'bulk',
    UPSTREAM_TIMEOUT_MS: '3000',
    GATEWAY_API_KEYS: callers.map((c) => c.entry).join(','),
    LOG_LEVEL: 'warn',
  };
  gateways = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  if (redisUp && emulator) {
    const redis = connect();
    const secret = emulator.secretKeys[0]!;
    for (const channel of ['general', 'bulk', 'single'] as const) await redis.del(...Object.values(budgetKeys(secret, channel)));
    for (const name of ['alice', 'bob', 'carol']) await deleteUnder(redis, `cig:rl:${encodeURIComponent(`apikey:${name}${run}`)}`);
    redis.disconnect();
  }
  await emulator?.close();
});

/** Each test starts with an empty window at the emulator and in the shared budget. */
beforeEach(async () => {
  if (!redisUp) return;
  emulator.reset();
  const redis = connect();
  await redis.del(...Object.values(budgetKeys(emulator.secretKeys[0]!, 'general')));
  redis.disconnect();
});

async function graphql(gateway: GatewayProcess, query: string, variables?: Record<string, unknown>, caller = callers[0]!) {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...caller.headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as any };
}

/** Calls the emulator counted against the general limit (all but JWKS), by arrival time. */
const generalCalls = () => emulator.calls.filter((c) => c.route !== 'jwks' && c.route !== null);

describe.skipIf(!redisUp)("Clerk's general limit across two gateway processes", () => {
  it('a burst of admin list queries and reconciliations from both replicas never draws a 429 from Clerk', async () => {
    emulator.seedInvitations(Array.from({ length: 5 }, (_, i) => ({ emailAddress: `seed${i}-${run}@example.com` })));
    // Every bulk call commits and then answers 500, so each item is looked up with a list call.
    emulator.faults.add({ route: 'bulk', fault: 'error500-after-commit' });
    const lists = Array.from({ length: 120 }, (_, i) => graphql(gateways[i % 2]!, LIST, { first: 5 }, callers[i % 3]));
    const creates = Array.from({ length: 4 }, (_, r) =>
      graphql(gateways[r % 2]!, CREATE_INVITATIONS, {
        invitations: Array.from({ length: 5 }, (_, i) => ({ emailAddress: `r${r}-${i}-${run}@example.com` })),
      }),
    );
    const listed = await Promise.all(lists);
    const created = await Promise.all(creates);

    // Clerk (the emulator) never refused anything: the gateways refused first.
    expect(generalCalls().filter((c) => c.status === 429)).toEqual([]);
    // No 10 s span at the emulator held more than the gateways' share plus the creates they had to send.
    const times = generalCalls().map((c) => c.time);
    const creates429Free = emulator.calls.filter((c) => c.route === 'bulk').length;
    const busiest = Math.max(...times.map((t) => times.filter((s) => s >= t && s < t + 10_000).length));
    expect(busiest).toBeLessThanOrEqual(50 + creates429Free);

    // The admin queries that did not fit were refused by the gateway, with a time to come back.
    const ok = listed.filter((r) => r.body.data?.invitations);
    const refused = listed.filter((r) => r.body.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
    expect(ok.length + refused.length).toBe(120);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.body.errors[0].message).toMatch(/Clerk's request allowance is used up/);
      expect(r.status).toBe(429);
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.body.errors[0].extensions.retryAfterSeconds).toBeLessThanOrEqual(11);
    }
    // Reconciliation is not starved by the burst of reads: a share of the allowance is held for it,
    // and one page of the newest invitations settles a whole call.
    const items = created.flatMap((r) => (r.body.data.createInvitations as Payload).results);
    expect(items).toHaveLength(20);
    expect(items.map(outcome)).toEqual(items.map(() => 'CREATED'));
    const lookups = emulator.calls.filter((c) => c.route === 'list').length;
    expect(lookups).toBe(ok.length + emulator.calls.filter((c) => c.route === 'bulk').length);
  }, 60_000);

  it('a 429 on the list endpoint at one replica stops list calls at the other until Retry-After', async () => {
    emulator.faults.add({ route: 'list', fault: 'rate-limit', retryAfterSeconds: 120, times: 1 });
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    const first = await graphql(a, LIST, {}, callers[2]);
    expect(first.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', retryAfterSeconds: 120 });

    const second = await graphql(b, LIST, {}, callers[2]);
    expect(second.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(second.body.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(100);
    expect(second.body.errors[0].extensions.retryAfterSeconds).toBeLessThanOrEqual(120);
    // A reconciliation lookup on the second replica is refused as well, so its item stays unknown.
    emulator.faults.add({ route: 'bulk', fault: 'error500-after-commit', times: 1 });
    const reconciled = await graphql(b, CREATE_INVITATIONS, { invitations: [{ emailAddress: `paused-${run}@example.com` }] }, callers[2]);
    expect((reconciled.body.data.createInvitations as Payload).results.map(outcome)).toEqual(['OUTCOME_UNKNOWN']);
    expect(emulator.calls.filter((c) => c.route === 'list')).toHaveLength(1);

    // The status shows the pause on the list family only.
    const status = await graphql(b, '{ gatewayStatus { general { clerkLimit limit remaining windowSeconds families { family pausedUntil } } } }', {}, callers[2]);
    const general = status.body.data.gatewayStatus.general;
    expect(general).toMatchObject({ clerkLimit: 100, limit: 50, windowSeconds: 11 });
    expect(general.remaining).toBeLessThan(50);
    const paused = Object.fromEntries(general.families.map((f: { family: string; pausedUntil: string | null }) => [f.family, f.pausedUntil]));
    expect(Date.parse(paused.LIST) - Date.now()).toBeGreaterThan(100_000);
    expect(paused.USERS).toBeNull();
    expect(paused.REVOKE).toBeNull();
  }, 60_000);
});
