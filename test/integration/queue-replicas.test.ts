import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { startGatewayProcess, testApiKey, type GatewayProcess } from '../support/gateway-process.ts';
import { redisReachable, REDIS_URL } from '../support/redis.ts';
import { allResults, SUBMIT, waitFinished, type JobView } from '../queue/queue-client.ts';

const redisUp = await redisReachable('queue-replicas');
// "An hour" of 4 s holding 6 bulk and 12 single calls: 72 invitations a window, so 300 take several.
const WINDOW = { text: '4s', ms: 4_000, bulk: 6, single: 12 };
const callers = [testApiKey('importer-a'), testApiKey('importer-b'), testApiKey('importer-c')];
let emulator: Emulator;
const gateways: GatewayProcess[] = [];

const env = () => ({
  CLERK_SECRET_KEY: emulator.secretKeys[0]!,
  CLERK_API_URL: emulator.url,
  GATEWAY_API_KEYS: callers.map((c) => c.entry).join(','),
  REDIS_URL,
  RATE_LIMIT_MAX: '100000',
  UPSTREAM_BULK_PER_HOUR: String(WINDOW.bulk),
  UPSTREAM_SINGLE_PER_HOUR: String(WINDOW.single),
  UPSTREAM_BUDGET_WINDOW: WINDOW.text,
  REQUEST_TIMEOUT_MS: '3000',
  UPSTREAM_TIMEOUT_MS: '1000',
  BATCH_WINDOW_MS: '20',
  BATCH_WINDOW_MAX_MS: '300',
  QUEUE_LOCK_MS: '1500',
});

beforeAll(async () => {
  // Clerk counts a call when it arrives, up to the upstream timeout after the gateway spent its budget;
  // in an hour the budget's margin (the upstream timeout) covers that, in a 4 s window it shrinks to
  // 100 ms, less than a loaded test machine may take between the spend and the arrival. Clerk's window
  // here is 10% shorter than the gateway's to stand for the margin an hour keeps.
  emulator = await startEmulator({ port: 0, limits: { bulkPerHour: WINDOW.bulk, singlePerHour: WINDOW.single, windowMs: WINDOW.ms * 0.9 } });
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop('SIGKILL')));
  await emulator?.close();
});

async function start(): Promise<GatewayProcess> {
  // A loaded machine can take long to boot a replica through tsx.
  const gateway = await startGatewayProcess(env(), { timeoutMs: 90_000 });
  gateways.push(gateway);
  return gateway;
}

const sender = (gateway: () => GatewayProcess, headers: Record<string, string>) => async (query: string, variables: Record<string, unknown>) => {
  const response = await fetch(`${gateway().url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
};

const createdAtEmulator = () => emulator.invitations().length;
async function until(check: () => boolean, timeoutMs: number) {
  const giveUp = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > giveUp) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.runIf(redisUp)('a queue drained by two replicas sharing Redis', () => {
  it('settles every one of 300 items once while one replica is killed and another stopped mid-drain, never over budget', async () => {
    const run = randomUUID().slice(0, 8);
    let a = await start();
    const jobs: Array<{ id: string; caller: number; emails: string[] }> = [];
    for (let j = 0; j < 6; j++) {
      const caller = j % 3;
      const emails = Array.from({ length: 50 }, (_, i) => `${run}-${j}-${i}@example.com`);
      const body = await sender(() => a, callers[caller]!.headers)(SUBMIT, { invitations: emails.map((emailAddress) => ({ emailAddress })) });
      const job = body.data?.submitInvitations as JobView;
      expect(job?.total, JSON.stringify(body.errors)).toBe(50);
      jobs.push({ id: job.id, caller, emails });
    }

    // Mid-drain, with one of its bulk calls in flight at Clerk, the replica is killed outright.
    await until(() => createdAtEmulator() >= 40, 30_000);
    emulator.faults.add({ route: 'bulk', fault: 'hang', times: 1 });
    await until(() => emulator.calls.some((c) => c.fault === 'hang'), 30_000);
    a.child.kill('SIGKILL');
    await a.exited;
    emulator.faults.clear();
    const killedAt = createdAtEmulator();
    // It comes back, and a second replica joins; later the second one is stopped gracefully.
    const [restarted, b] = await Promise.all([start(), start()]);
    a = restarted;
    await until(() => createdAtEmulator() >= killedAt + 60, 30_000);
    expect(await b.stop('SIGTERM')).toBe(0);

    const finished = await Promise.all(
      [0, 1, 2].map((caller) => waitFinished(sender(() => a, callers[caller]!.headers), jobs.filter((j) => j.caller === caller).map((j) => j.id), 45_000)),
    );
    for (const job of finished.flat()) {
      expect(job.state).toBe('DONE');
      expect(job.pendingCount).toBe(0);
      expect(job.createdCount + job.failedCount).toBe(50);
    }

    // No address was created twice, and every invitation Clerk holds is the one its job reports.
    const stored = emulator.invitations().filter((inv) => inv.emailAddress.startsWith(run));
    const ids = new Map<string, string[]>();
    for (const inv of stored) ids.set(inv.emailAddress, [...(ids.get(inv.emailAddress) ?? []), inv.id]);
    expect([...ids.values()].filter((list) => list.length > 1)).toEqual([]);
    let reportedCreated = 0;
    for (const job of jobs) {
      const { edges } = await allResults(sender(() => a, callers[job.caller]!.headers), job.id);
      expect(edges).toHaveLength(50);
      for (const edge of edges) {
        expect(edge.result).not.toBeNull();
        const held = ids.get(edge.emailAddress);
        if (edge.result?.__typename === 'InvitationCreated') {
          reportedCreated++;
          expect([edge.result.invitation!.id]).toEqual(held);
        } else {
          // Not reported created: then Clerk must not hold it either, or the job says it may (unknown).
          expect(held === undefined || edge.result?.code === 'OUTCOME_UNKNOWN', `${edge.emailAddress}: ${JSON.stringify(edge.result)}`).toBe(true);
        }
      }
    }
    expect(reportedCreated).toBe(stored.length);
    expect(stored.length).toBeGreaterThanOrEqual(295);

    // The shared budget kept every call inside the allowance: Clerk never answered 429.
    const creates = emulator.calls.filter((c) => (c.route === 'bulk' || c.route === 'single') && c.instance === emulator.secretKeys[0]);
    expect(creates.filter((c) => c.status === 429)).toEqual([]);
    expect(b.output()).toContain('shut down cleanly');
    // The items of the killed replica's unanswered call were settled by evidence, not resent blind.
    expect(a.output() + b.output()).toContain('settled items a stopped replica left in flight');
  }, 240_000);
});
