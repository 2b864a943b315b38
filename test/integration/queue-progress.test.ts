import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { startGatewayProcess, testApiKey, type GatewayProcess } from '../support/gateway-process.ts';
import { redisReachable, REDIS_URL } from '../support/redis.ts';
import { PROGRESS, SUBMIT, type JobView } from '../queue/queue-client.ts';

const redisUp = await redisReachable('queue-progress');
// "An hour" of 2 s holding 1 bulk and 2 single calls: 30 items take a few windows, so progress has steps.
const WINDOW = { text: '2s', ms: 2_000, bulk: 1, single: 2 };
const key = testApiKey('watcher');
const stranger = testApiKey('stranger');
let emulator: Emulator;
let gateway: GatewayProcess;

beforeAll(async () => {
  if (!redisUp) return;
  // 10% shorter at Clerk: the margin an hour-long budget keeps (see queue-replicas.test.ts).
  emulator = await startEmulator({ port: 0, limits: { bulkPerHour: WINDOW.bulk, singlePerHour: WINDOW.single, windowMs: WINDOW.ms * 0.9 } });
  gateway = await startGatewayProcess(
    {
      CLERK_SECRET_KEY: emulator.secretKeys[0]!,
      CLERK_API_URL: emulator.url,
      GATEWAY_API_KEYS: [key.entry, stranger.entry].join(','),
      REDIS_URL,
      RATE_LIMIT_MAX: '100000',
      UPSTREAM_BULK_PER_HOUR: String(WINDOW.bulk),
      UPSTREAM_SINGLE_PER_HOUR: String(WINDOW.single),
      UPSTREAM_BUDGET_WINDOW: WINDOW.text,
      BATCH_WINDOW_MS: '10',
      BATCH_WINDOW_MAX_MS: '200',
    },
    { timeoutMs: 90_000 },
  );
});
afterAll(async () => {
  await gateway?.stop('SIGKILL');
  await emulator?.close();
});

async function post(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  return fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
}

/** Reads a text/event-stream to its end: the data of every `next` event, and whether it completed. */
async function readEvents(response: Response): Promise<{ events: any[]; completed: boolean }> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const events: any[] = [];
  let completed = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (\w+)/m.exec(block)?.[1];
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
      if (event === 'next') events.push(JSON.parse(data));
      if (event === 'complete') completed = true;
    }
  }
  return { events, completed };
}

describe.runIf(redisUp)('invitationJobProgress over Server-Sent Events', () => {
  it('streams the job from submission to DONE to a plain HTTP client, and nothing of it to another caller', async () => {
    const run = randomUUID().slice(0, 8);
    const submitted = await (await post(SUBMIT, { invitations: Array.from({ length: 30 }, (_, i) => ({ emailAddress: `${run}-${i}@example.com` })) }, key.headers)).json();
    const job = submitted.data.submitInvitations as JobView;

    const denied = await post(PROGRESS, { id: job.id }, { ...stranger.headers, accept: 'text/event-stream' });
    const deniedEvents = await readEvents(denied);
    expect(deniedEvents.events.length).toBeGreaterThan(0);
    expect(deniedEvents.events.every((e) => e.data == null && e.errors?.[0]?.extensions?.code === 'NOT_FOUND')).toBe(true);

    const response = await post(PROGRESS, { id: job.id }, { ...key.headers, accept: 'text/event-stream' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const { events, completed } = await readEvents(response);
    expect(completed).toBe(true);
    const views = events.map((e) => e.data.invitationJobProgress as JobView);
    // From where the job stood when watching began, through more than one step, to DONE.
    expect(views.length).toBeGreaterThan(2);
    expect(views[0]!.createdCount).toBeLessThan(30);
    expect(views.at(-1)).toMatchObject({ state: 'DONE', createdCount: 30, pendingCount: 0 });
    for (let i = 1; i < views.length; i++) expect(views[i]!.createdCount).toBeGreaterThanOrEqual(views[i - 1]!.createdCount);
    expect(emulator.invitations().filter((inv) => inv.emailAddress.startsWith(run))).toHaveLength(30);
  }, 120_000);
});
