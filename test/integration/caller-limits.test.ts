import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { startGatewayProcess, testApiKey, type GatewayProcess } from '../support/gateway-process.ts';
import { connect, deleteUnder, redisReachable, REDIS_URL } from '../support/redis.ts';
import { CREATE_INVITATIONS } from '../support/stack.ts';

// Two gateway processes share one Redis: the caller limit holds across them, exactly.
const redisUp = await redisReachable('caller limits across two gateway processes');
const run = randomBytes(4).toString('hex');
const alice = testApiKey(`alice${run}`);
const bob = testApiKey(`bob${run}`);
let emulator: Emulator;
let gateways: GatewayProcess[] = [];

beforeAll(async () => {
  if (!redisUp) return;
  emulator = await startEmulator({ port: 0, limits: { bulkPerHour: 100_000, singlePerHour: 100_000 } });
  const env = {
    CLERK_SECRET_KEY: emulator.secretKeys[0]!,
    CLERK_API_URL: emulator.url,
    REDIS_URL,
    RATE_LIMIT_MAX: '10',
    UPSTREAM_BULK_PER_HOUR: '100000',
    UPSTREAM_SINGLE_PER_HOUR: '100000',
    GATEWAY_API_KEYS: `${alice.entry},${bob.entry}`,
    LOG_LEVEL: 'warn',
  };
  gateways = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await emulator?.close();
  if (redisUp) {
    const redis = connect();
    for (const name of [`alice${run}`, `bob${run}`]) await deleteUnder(redis, `cig:rl:${encodeURIComponent(`apikey:${name}`)}`);
    redis.disconnect();
  }
});

async function invite(gateway: GatewayProcess, headers: Record<string, string>, email: string) {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query: CREATE_INVITATIONS, variables: { invitations: [{ emailAddress: email }] } }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as any };
}

describe.skipIf(!redisUp)('the @rateLimit caller limit across two processes on one Redis', () => {
  it('lets exactly 10 of 100 concurrent single-invitation calls through, and keeps callers apart', async () => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => invite(gateways[i % 2]!, alice.headers, `a${i}-${run}@example.com`)),
    );
    const passed = answers.filter((a) => a.body.data?.createInvitations);
    const limited = answers.filter((a) => a.body.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
    expect(passed).toHaveLength(10);
    expect(limited).toHaveLength(90);
    for (const a of limited) {
      expect(a.status).toBe(429);
      expect(a.retryAfter).toMatch(/^\d+$/);
      expect(a.body.errors[0].extensions.retryAfterSeconds).toBe(Number(a.retryAfter));
      expect(Number(a.retryAfter)).toBeGreaterThan(3_500);
    }
    // Only the admitted calls reached Clerk.
    const sent = emulator.calls.flatMap((c) => (Array.isArray(c.body) ? c.body : [c.body])).length;
    expect(sent).toBe(10);

    const bobs = await Promise.all(Array.from({ length: 12 }, (_, i) => invite(gateways[i % 2]!, bob.headers, `b${i}-${run}@example.com`)));
    expect(bobs.filter((a) => a.body.data?.createInvitations)).toHaveLength(10);
  });
});
