import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { useMetrics, type MetricsOptions } from '../../src/plugins/use-metrics.ts';
import { pluginYoga, post, send } from '../support/plugin-yoga.ts';
import { emails, startStack, type Stack } from '../support/stack.ts';

let stack: Stack | undefined;
afterEach(() => stack?.close());

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
/** A scrape with the metrics token, which the public port requires. */
const scrape = (s: Stack) => s.fetch('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });

/** The value of one sample line, e.g. `gateway_invitations_total{family="instance",code="CREATED"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  it('counts invitations by outcome, Clerk calls, batches, budget and queue after traffic', async () => {
    stack = await startStack({ env: { METRICS_TOKEN } });
    stack.emulator.seedUsers(['taken@example.com']);
    await Promise.all(emails(37).map((e) => stack!.invite([e])));
    await stack.invite(['bad-address', 'user0@example.com', 'taken@example.com']);

    const response = await scrape(stack);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();

    expect(sample(text, 'gateway_invitations_total{family="instance",code="CREATED"}')).toBe(37);
    expect(sample(text, 'gateway_invitations_total{family="instance",code="INVALID_INPUT"}')).toBe(1);
    expect(sample(text, 'gateway_invitations_total{family="instance",code="ALREADY_INVITED"}')).toBe(1);
    expect(sample(text, 'gateway_invitations_total{family="instance",code="USER_EXISTS"}')).toBe(1);
    // 37 go out as 4 bulk calls; the last request's 2 valid items are a small batch, sent as singles.
    expect(sample(text, 'gateway_upstream_calls_total{channel="bulk",status="200"}')).toBe(4);
    expect(sample(text, 'gateway_upstream_calls_total{channel="single",status="400"}')).toBe(1);
    expect(sample(text, 'gateway_upstream_calls_total{channel="single",status="422"}')).toBe(1);
    expect(sample(text, 'gateway_batch_size_count')).toBe(5);
    expect(sample(text, 'gateway_batch_size_sum')).toBe(39);
    expect(sample(text, 'gateway_upstream_budget_remaining{channel="bulk"}')).toBe(21);
    expect(sample(text, 'gateway_upstream_budget_remaining{channel="single"}')).toBe(98);
    expect(sample(text, 'gateway_queue_depth')).toBe(0);
    expect(sample(text, 'gateway_upstream_call_duration_seconds_count{channel="bulk"}')).toBe(4);
    expect(sample(text, 'gateway_graphql_requests_total{operationName="CreateInvitations",operationType="mutation"}')).toBe(38);
    expect(text).toMatch(/^gateway_http_request_duration_seconds_count\{/m);
    expect(text).not.toContain(stack.secretKey);
  });

  it('counts caller rate-limit rejections, and is off with METRICS=false', async () => {
    stack = await startStack({ env: { RATE_LIMIT_MAX: '2', METRICS_TOKEN } });
    for (const e of emails(4)) await stack.request('mutation ($i: [InvitationInput!]!) { createInvitations(invitations: $i) { createdCount } }', { i: [{ emailAddress: e }] });
    const text = await (await scrape(stack)).text();
    expect(sample(text, 'gateway_caller_rate_limit_rejections_total')).toBe(2);
    await stack.close();
    stack = await startStack({ env: { METRICS: 'false' } });
    expect((await stack.fetch('/metrics')).status).toBe(404);
    expect((await scrape(stack)).status).toBe(404);
  });
});

/** The plugin alone on the tiny schema, with a registry of its own. */
function metricsYoga(options: Omit<MetricsOptions, 'registry'> = {}) {
  const registry = new Registry();
  return { ...pluginYoga([useMetrics({ registry, ...options })]), registry };
}
const TOKEN = 'plugin-metrics-token-0123456789';
const scrapeWith = (yoga: ReturnType<typeof metricsYoga>['yoga'], authorization?: string, path = '/metrics') =>
  send(yoga, path, { headers: authorization === undefined ? {} : { authorization } });

describe('useMetrics alone', () => {
  it('without a token serves no /metrics at all (the metrics listener does), but still counts', async () => {
    const { yoga, registry } = metricsYoga();
    await post(yoga, 'query Known { hello }');
    for (const authorization of [undefined, `Bearer ${TOKEN}`]) expect((await scrapeWith(yoga, authorization)).response.status).toBe(404);
    expect(sample(await registry.metrics(), 'gateway_graphql_requests_total{operationName="other",operationType="query"}')).toBe(1);
  });

  it('with a token answers only `Bearer <token>` (case-insensitive scheme), everything else 401 without a metric', async () => {
    const { yoga } = metricsYoga({ token: TOKEN });
    await post(yoga, '{ hello }');
    for (const authorization of [undefined, '', TOKEN, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, `Bearer`, `Bearer ${TOKEN} ${TOKEN}`, `Bearer\t${TOKEN}`]) {
      const { response, body } = await scrapeWith(yoga, authorization);
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(body).toBe('metrics need a bearer token\n');
    }
    for (const authorization of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `Bearer   ${TOKEN}  `]) {
      const { response, body } = await scrapeWith(yoga, authorization);
      expect(response.status, authorization).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(sample(body, 'gateway_graphql_requests_total{operationName="Anonymous",operationType="query"}')).toBe(1);
    }
  });

  it('serves the endpoint it is given, and only that path', async () => {
    const { yoga } = metricsYoga({ token: TOKEN, endpoint: '/internal/metrics' });
    expect((await scrapeWith(yoga, `Bearer ${TOKEN}`, '/internal/metrics')).response.status).toBe(200);
    expect((await scrapeWith(yoga, `Bearer ${TOKEN}`)).response.status).toBe(404);
    expect((await scrapeWith(yoga, `Bearer ${TOKEN}`, '/internal/metrics/')).response.status).toBe(404);
  });

  it('labels operations only with names it knows: the client documents, operationNames, Anonymous; the rest is "other"', async () => {
    const { yoga, registry } = metricsYoga({ operationNames: ['Dashboard'] });
    await post(yoga, 'query GatewayStatus { hello }');
    await post(yoga, 'query Dashboard { hello }');
    await post(yoga, '{ hello }');
    for (let i = 0; i < 50; i++) await post(yoga, `query Random${i} { hello }`);
    await post(yoga, `query ${'X'.repeat(10_000)} { hello }`);
    const text = await registry.metrics();
    expect(sample(text, 'gateway_graphql_requests_total{operationName="GatewayStatus",operationType="query"}')).toBe(1);
    expect(sample(text, 'gateway_graphql_requests_total{operationName="Dashboard",operationType="query"}')).toBe(1);
    expect(sample(text, 'gateway_graphql_requests_total{operationName="Anonymous",operationType="query"}')).toBe(1);
    expect(sample(text, 'gateway_graphql_requests_total{operationName="other",operationType="query"}')).toBe(51);
    expect(text).not.toContain('Random');
    expect(text).not.toContain('XXXX');
  });

  it('counts errors by phase without a path label, and HTTP durations by method and status', async () => {
    const { yoga, registry } = metricsYoga();
    await post(yoga, '{ nope }');
    await post(yoga, 'query Dashboard { f: fail }');
    const text = await registry.metrics();
    expect(sample(text, 'gateway_graphql_errors_total{operationName="Anonymous",operationType="query",phase="validate"}')).toBe(1);
    expect(sample(text, 'gateway_graphql_errors_total{operationName="other",operationType="query",phase="execute"}')).toBe(1);
    expect(text).not.toMatch(/path=/);
    expect(sample(text, 'gateway_http_request_duration_seconds_count{operationName="other",operationType="query",method="POST",statusCode="200"}')).toBe(1);
    expect(sample(text, 'gateway_http_request_duration_seconds_count{operationName="Anonymous",operationType="query",method="POST",statusCode="400"}')).toBe(1);
    // Phase timings and the other envelop metrics stay off.
    expect(text).not.toMatch(/graphql_envelop_|graphql_yoga_/);
  });
});
