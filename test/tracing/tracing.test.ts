import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { createLogger } from '../../src/logger.ts';
import { createGatewayNodeServer, type GatewayNodeServer } from '../../src/node-server.ts';
import { startTracing, type Tracing } from '../../src/telemetry/start-tracing.ts';
import { CREATE_INVITATIONS } from '../support/stack.ts';
import { startCollector, startHeaderRecorder, type CollectedSpan } from './collector.ts';

const SERVER = 2;
const CLIENT = 3;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const callerTrace = () => ({ traceId: hex(16), parentId: hex(8) });
const traceparent = (t: { traceId: string; parentId: string }) => `00-${t.traceId}-${t.parentId}-01`;

/** A real gateway on a real port, its Clerk calls passing a header recorder on their way to the emulator. */
async function startGateway(env: Record<string, string>) {
  const emulator: Emulator = await startEmulator({ port: 0 });
  const recorder = await startHeaderRecorder(emulator.url);
  const secretKey = emulator.secretKeys[0]!;
  const apiKey = generateApiKey();
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    RATE_LIMIT_MAX: '100000',
    CLERK_SECRET_KEY: secretKey,
    CLERK_API_URL: recorder.url,
    GATEWAY_API_KEYS: `test:${hashApiKey(apiKey)}`,
    // Long enough that concurrent requests share a batch.
    BATCH_WINDOW_MS: '1000',
    ...env,
  });
  const tracing: Tracing | undefined = config.telemetry.tracesUrl ? startTracing({ url: config.telemetry.tracesUrl, serviceName: config.telemetry.serviceName }) : undefined;
  const app: App = createApp({ config, logger: createLogger({ level: 'silent' }), clerk: { secretKey, apiUrl: recorder.url } });
  const server: GatewayNodeServer = createGatewayNodeServer(app.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    emulator,
    recorder,
    tracing,
    async invite(emailAddress: string, headers: Record<string, string>, item: Record<string, unknown> = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${apiKey}`, ...headers },
        body: JSON.stringify({ query: CREATE_INVITATIONS, variables: { invitations: [{ emailAddress, ...item }] } }),
      });
      return { status: response.status, body: (await response.json()) as { data?: { createInvitations: { createdCount: number } } } };
    },
    /** Headers of the create calls Clerk received. */
    createCalls: () => recorder.seen.filter((c) => c.method === 'POST' && c.path.startsWith('/v1/invitations')),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
      // Whether the last spans went out is asserted where it matters, not on every close.
      await tracing?.shutdown().catch(() => undefined);
      await recorder.close();
      await emulator.close();
    },
  };
}

describe('without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('starts no tracing: a caller traceparent is not passed on to Clerk', async () => {
    const gateway = await startGateway({});
    try {
      expect(gateway.tracing).toBeUndefined();
      const caller = callerTrace();
      const { body } = await gateway.invite('quiet@example.com', { traceparent: traceparent(caller) });
      expect(body.data?.createInvitations.createdCount).toBe(1);
      const calls = gateway.createCalls();
      expect(calls.length).toBeGreaterThan(0);
      for (const call of calls) expect(call.headers.traceparent).toBeUndefined();
    } finally {
      await gateway.close();
    }
  });
});

describe('with an OTLP collector', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    collector = await startCollector();
    gateway = await startGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'gateway-under-test' });
  });
  afterAll(async () => {
    await gateway?.close();
    await collector?.close();
  });

  /** Flushes until the trace holds its request span, the last to end, then returns the trace. */
  async function traceOf(traceId: string): Promise<CollectedSpan[]> {
    await vi.waitFor(
      async () => {
        await gateway.tracing!.flush();
        expect(collector.spans.filter((s) => s.traceId === traceId).map((s) => s.kind)).toContain(SERVER);
      },
      { timeout: 10_000, interval: 50 },
    );
    return collector.spans.filter((s) => s.traceId === traceId);
  }

  const one = (spans: CollectedSpan[], test: (s: CollectedSpan) => boolean, what: string) => {
    const found = spans.filter(test);
    expect(found, what).toHaveLength(1);
    return found[0]!;
  };

  it("continues the caller's trace through request, operation, batch and Clerk call, and sends it to Clerk", async () => {
    const caller = callerTrace();
    const { status, body } = await gateway.invite('traced@example.com', { traceparent: traceparent(caller), 'x-request-id': 'req-traced-1' });
    expect(status).toBe(200);
    expect(body.data?.createInvitations.createdCount).toBe(1);

    const spans = await traceOf(caller.traceId);
    const request = one(spans, (s) => s.kind === SERVER, 'request span');
    const operation = one(spans, (s) => s.name === 'mutation.CreateInvitations', 'operation span');
    const batch = one(spans, (s) => s.name === 'invitation batch', 'batch span');
    const clerk = one(spans, (s) => s.kind === CLIENT, 'Clerk call span');

    expect(request.parentSpanId).toBe(caller.parentId);
    expect(request.attributes['gateway.request_id']).toBe('req-traced-1');
    expect(request.attributes['http.response.status_code']).toBe(200);
    expect(request.service).toBe('gateway-under-test');
    expect(operation.parentSpanId).toBe(request.spanId);
    expect(batch.parentSpanId).toBe(operation.spanId);
    expect(batch.attributes['gateway.batch.request_ids']).toEqual(['req-traced-1']);
    expect(batch.attributes['gateway.batch.items']).toBe(1);
    expect(clerk.parentSpanId).toBe(batch.spanId);
    expect(['bulk', 'single']).toContain(clerk.attributes['clerk.call']);
    expect(clerk.attributes['clerk.items']).toBe(1);
    expect(clerk.attributes['clerk.outcome']).toBe('ok');
    expect(clerk.attributes['http.response.status_code']).toBe(200);

    // Clerk saw the trace, with the Clerk call span as the parent of its work.
    const sent = gateway.createCalls().map((c) => c.headers.traceparent).filter((h) => h?.includes(caller.traceId));
    expect(sent).toEqual([`00-${caller.traceId}-${clerk.spanId}-01`]);
    expect(collector.contentTypes.every((t) => t.startsWith('application/json'))).toBe(true);
  });

  it('links every request a shared batch carries, and records their request ids', async () => {
    const first = callerTrace();
    const second = callerTrace();
    const answers = await Promise.all([
      gateway.invite('shared-a@example.com', { traceparent: traceparent(first), 'x-request-id': 'req-shared-a' }),
      gateway.invite('shared-b@example.com', { traceparent: traceparent(second), 'x-request-id': 'req-shared-b' }),
    ]);
    for (const answer of answers) expect(answer.body.data?.createInvitations.createdCount).toBe(1);

    const [a, b] = [await traceOf(first.traceId), await traceOf(second.traceId)];
    const batches = collector.spans.filter((s) => s.name === 'invitation batch' && (s.traceId === first.traceId || s.traceId === second.traceId));
    expect(batches).toHaveLength(1);
    const batch = batches[0]!;
    expect([...(batch.attributes['gateway.batch.request_ids'] as string[])].sort()).toEqual(['req-shared-a', 'req-shared-b']);
    const opA = one(a, (s) => s.name === 'mutation.CreateInvitations', 'first operation');
    const opB = one(b, (s) => s.name === 'mutation.CreateInvitations', 'second operation');
    expect(batch.links).toEqual(expect.arrayContaining([{ traceId: first.traceId, spanId: opA.spanId }, { traceId: second.traceId, spanId: opB.spanId }]));
    expect([opA.spanId, opB.spanId]).toContain(batch.parentSpanId);
  });

  it("gives each attempt at Clerk its own span, status and outcome, and its own traceparent", async () => {
    gateway.emulator.faults.add({ route: 'any', fault: 'rate-limit', retryAfterSeconds: 1, times: 1 });
    const caller = callerTrace();
    const before = gateway.createCalls().length;
    const { body } = await gateway.invite('retried@example.com', { traceparent: traceparent(caller) });
    expect(body.data?.createInvitations.createdCount).toBe(1);

    const spans = await traceOf(caller.traceId);
    const batch = one(spans, (s) => s.name === 'invitation batch', 'batch span');
    const calls = spans.filter((s) => s.kind === CLIENT);
    expect(calls.map((s) => s.parentSpanId)).toEqual(calls.map(() => batch.spanId));
    const limited = one(calls, (s) => s.attributes['clerk.outcome'] === 'rate-limited', 'the refused attempt');
    expect(limited.attributes['http.response.status_code']).toBe(429);
    expect(limited.status).toBe(2);
    const ok = one(calls, (s) => s.attributes['clerk.outcome'] === 'ok', 'the attempt that went through');
    expect(ok.status).not.toBe(2);
    const sent = gateway.createCalls().slice(before).map((c) => c.headers.traceparent);
    expect(sent).toEqual([`00-${caller.traceId}-${limited.spanId}-01`, `00-${caller.traceId}-${ok.spanId}-01`]);
  });

  it('keeps addresses out of spans when an operation fails on what the caller sent', async () => {
    const caller = callerTrace();
    // An unknown field fails variable coercion, whose message quotes the whole item.
    const { body } = await gateway.invite('leak-me@example.com', { traceparent: traceparent(caller) }, { notAField: 'leak-me-too@example.com' });
    expect(JSON.stringify(body)).toContain('errors');
    const operation = one(await traceOf(caller.traceId), (s) => s.name === 'mutation.CreateInvitations', 'operation span');
    expect(operation.events.map((e) => e.name)).toContain('exception');
    expect(operation.events.find((e) => e.name === 'exception')?.attributes['exception.message']).toBeUndefined();
    expect(collector.bodies.join('\n')).not.toMatch(/leak-me/);
  });

  it('records nothing for a caller that sampled its trace out, and tells Clerk so', async () => {
    const caller = callerTrace();
    const { body } = await gateway.invite('unsampled@example.com', { traceparent: `00-${caller.traceId}-${caller.parentId}-00` });
    expect(body.data?.createInvitations.createdCount).toBe(1);
    const sent = gateway.createCalls().map((c) => String(c.headers.traceparent)).filter((h) => h.includes(caller.traceId));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(new RegExp(`^00-${caller.traceId}-[0-9a-f]{16}-00$`));
    // A sampled request after it is exported; the unsampled one is still absent.
    const later = callerTrace();
    await gateway.invite('sampled-after@example.com', { traceparent: traceparent(later) });
    await traceOf(later.traceId);
    expect(collector.spans.filter((s) => s.traceId === caller.traceId)).toEqual([]);
  });

  it('ignores a forged traceparent (zero ids, unknown version): a fresh trace, still answered', async () => {
    for (const forged of [`00-${'0'.repeat(32)}-${hex(8)}-01`, `00-${hex(16)}-${'0'.repeat(16)}-01`, `ff-${hex(16)}-${hex(8)}-01`, 'not a trace context']) {
      const before = gateway.createCalls().length;
      const id = `req-forged-${hex(4)}`;
      const { status, body } = await gateway.invite(`forged-${hex(4)}@example.com`, { traceparent: forged, 'x-request-id': id });
      expect(status).toBe(200);
      expect(body.data?.createInvitations.createdCount).toBe(1);
      const sent = gateway.createCalls().slice(before).map((c) => String(c.headers.traceparent));
      expect(sent).toHaveLength(1);
      const traceId = sent[0]!.split('-')[1]!;
      expect(forged).not.toContain(traceId);
      const request = one(await traceOf(traceId), (s) => s.kind === SERVER, 'request span');
      expect(request.parentSpanId).toBe('');
      expect(request.attributes['gateway.request_id']).toBe(id);
    }
  });
});

describe('with the collector down', () => {
  it('still answers every request: spans are dropped, not waited for', async () => {
    const gone = await startCollector();
    await gone.close();
    const gateway = await startGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: gone.url });
    try {
      const answers = await Promise.all(['down-a@example.com', 'down-b@example.com'].map((e) => gateway.invite(e, { traceparent: traceparent(callerTrace()) })));
      for (const answer of answers) expect(answer.body.data?.createInvitations.createdCount).toBe(1);
      expect(gateway.createCalls().every((c) => typeof c.headers.traceparent === 'string')).toBe(true);
      // Shutdown says the spans were lost, within its own deadline, and leaves tracing off.
      await expect(gateway.tracing!.shutdown()).rejects.toThrow();
    } finally {
      await gateway.close();
    }
  });
});

describe('tracing configuration', () => {
  const base = { CLERK_SECRET_KEY: 'sk_test_x' };
  it('appends /v1/traces to the base endpoint and takes a traces endpoint as given', () => {
    expect(loadConfig({ ...base }).telemetry.tracesUrl).toBeUndefined();
    expect(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).telemetry.tracesUrl).toBe('http://collector:4318/v1/traces');
    expect(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/otlp/' }).telemetry.tracesUrl).toBe('http://collector:4318/otlp/v1/traces');
    expect(loadConfig({ ...base, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://c.example/traces' }).telemetry.tracesUrl).toBe('https://c.example/traces');
  });
  it.each([
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'grpc://collector:4317'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'http/protobuf'],
    ['OTEL_SERVICE_NAME', 'two words'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(new RegExp(`${name}=`));
  });
});
