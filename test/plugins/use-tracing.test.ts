import { randomBytes } from 'node:crypto';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.ts';
import { useTracing } from '../../src/plugins/use-tracing.ts';
import { pluginYoga, post, send } from '../support/plugin-yoga.ts';

// The SDK in memory, registered the way telemetry/start-tracing.ts registers it, minus the OTLP export.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

const EMAIL = 'ada.lovelace@example.com';

function tracingYoga(options?: Parameters<typeof useTracing>[0], plugins: Parameters<typeof pluginYoga>[0] = []) {
  return pluginYoga([useTracing(options), ...plugins], {
    resolvers: {
      Query: {
        fail: () => {
          throw new GatewayError(`quota reached for ${EMAIL}`, { code: 'RATE_LIMITED' });
        },
      },
    },
  });
}

const spans = () => exporter.getFinishedSpans();
const serverSpans = () => spans().filter((s) => s.kind === SpanKind.SERVER);
const childrenOf = (parent: ReadableSpan) => spans().filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('useTracing: the request span', () => {
  it('one ended SERVER span per /graphql request, with method, route, path, request id and status', async () => {
    const { yoga } = tracingYoga();
    await post(yoga, 'query Hello { hello }', { headers: { 'x-request-id': 'req-trace-1' } });
    const [server, ...more] = serverSpans();
    expect(more).toEqual([]);
    expect(server!.name).toBe('POST /graphql');
    expect(server!.ended).toBe(true);
    expect(server!.attributes).toEqual({
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'url.path': '/graphql',
      'gateway.request_id': 'req-trace-1',
      'http.response.status_code': 200,
    });
    expect(server!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('puts the GraphQL operation span under it, in the same trace', async () => {
    const { yoga } = tracingYoga();
    await post(yoga, 'query Hello { hello }');
    const [server] = serverSpans();
    const [operation] = childrenOf(server!);
    expect(operation).toBeDefined();
    expect(operation!.kind).toBe(SpanKind.INTERNAL);
    expect(operation!.spanContext().traceId).toBe(server!.spanContext().traceId);
    expect(operation!.name).toMatch(/Hello/);
    expect(operation!.instrumentationScope.name).toBe('clerk-invitation-gateway');
  });

  it("continues the caller's W3C trace context", async () => {
    const { yoga } = tracingYoga();
    const traceId = hex(16);
    const parentId = hex(8);
    await post(yoga, '{ hello }', { headers: { traceparent: `00-${traceId}-${parentId}-01`, tracestate: 'vendor=1' } });
    const [server] = serverSpans();
    expect(server!.spanContext().traceId).toBe(traceId);
    expect(server!.parentSpanContext?.spanId).toBe(parentId);
    expect(server!.parentSpanContext?.isRemote).toBe(true);
  });

  it('starts a fresh trace for a malformed or all-zero traceparent, or a huge one', async () => {
    const { yoga } = tracingYoga();
    for (const traceparent of ['garbage', `00-${'0'.repeat(32)}-${hex(8)}-01`, `00-${hex(16)}-${'0'.repeat(16)}-01`, `ff-${hex(16)}-${hex(8)}-01`, `00-${hex(16)}-${hex(8)}-01-${'x'.repeat(10_000)}`, `00-${hex(15)}-${hex(8)}-01`]) {
      exporter.reset();
      const { response } = await post(yoga, '{ hello }', { headers: { traceparent } });
      expect(response.status).toBe(200);
      const [server] = serverSpans();
      expect(server!.parentSpanContext, traceparent.slice(0, 40)).toBeUndefined();
      expect(server!.spanContext().traceId).not.toBe('0'.repeat(32));
    }
  });

  it('marks 5xx answers as errors, and leaves 4xx (the caller\'s mistake) unset', async () => {
    const broken = tracingYoga(undefined, [{ onRequestParse: () => { throw new Error('internal'); } }]);
    await post(broken.yoga, '{ hello }');
    const [failed] = serverSpans();
    expect(failed!.attributes['http.response.status_code']).toBe(500);
    expect(failed!.status.code).toBe(SpanStatusCode.ERROR);
    exporter.reset();
    const { yoga } = tracingYoga();
    await post(yoga, '{ nope }');
    const [refused] = serverSpans();
    expect(refused!.attributes['http.response.status_code']).toBe(400);
    expect(refused!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('traces only the GraphQL endpoint: no spans for probes, scrapes or unknown paths', async () => {
    const { yoga } = tracingYoga();
    for (const path of ['/healthz', '/metrics', '/graphql/', '/nowhere']) await send(yoga, path);
    expect(spans()).toEqual([]);
  });

  it('takes another endpoint', async () => {
    const { yoga } = tracingYoga({ endpoint: '/healthz' });
    await send(yoga, '/healthz');
    await post(yoga, '{ hello }');
    expect(serverSpans().map((s) => s.name)).toEqual(['GET /healthz']);
  });

  it('ends every span when many requests run at once, each in its own trace', async () => {
    const { yoga } = tracingYoga();
    await Promise.all(Array.from({ length: 20 }, () => post(yoga, '{ hello }')));
    const servers = serverSpans();
    expect(servers).toHaveLength(20);
    expect(new Set(servers.map((s) => s.spanContext().traceId)).size).toBe(20);
    for (const server of servers) expect(childrenOf(server)).toHaveLength(1);
  });
});

describe('useTracing: what stays out of spans', () => {
  it('records error codes, never error messages, variables or results', async () => {
    const { yoga } = tracingYoga();
    const { body } = await post(yoga, 'query Q($v: JSON) { echo(value: $v) fail }', { variables: { v: { email: EMAIL } } });
    expect(body.errors[0].extensions.code).toBe('RATE_LIMITED');
    const exceptions = spans().flatMap((s) => s.events).filter((e) => e.name === 'exception');
    expect(exceptions.length).toBeGreaterThan(0);
    for (const event of exceptions) expect(event.attributes).toEqual({ 'exception.type': 'graphql.execute.error', 'graphql.error.codes': ['RATE_LIMITED'] });
    const everything = JSON.stringify(spans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })));
    expect(everything).not.toContain('lovelace');
    expect(everything).not.toContain('quota reached');
  });

  it('leaves the document out when it carries inline arguments (they hold addresses and metadata)', async () => {
    const { yoga } = tracingYoga();
    await post(yoga, `{ echo(value: "${EMAIL}") }`);
    expect(JSON.stringify(spans().map((s) => s.attributes))).not.toContain('lovelace');
  });
});
