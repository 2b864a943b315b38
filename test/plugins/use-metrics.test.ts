import { afterEach, describe, expect, it } from 'vitest';
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
