import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { settledHeap } from '../../bench/support/heap.ts';
import { startStack, type Stack } from '../support/stack.ts';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
const MB = 1024 * 1024;

let stack: Stack | undefined;
let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server?.closeAllConnections();
  await stack?.close();
  server = stack = undefined;
});

/** The stack's yoga behind a real node listener, as main.ts serves it. */
async function serve(s: Stack): Promise<string> {
  server = createServer(s.app.yoga);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Runs `count` calls of `send`, `width` at a time. */
async function flood(count: number, width: number, send: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => { for (let i = next++; i < count; i = next++) await send(i); }));
}

/** The request series' names and labels (process metrics come and go with GC kinds and handle types). */
const requestSeries = (text: string) =>
  text
    .split('\n')
    .filter((line) => /^gateway_(graphql|http)_/.test(line))
    .map((line) => line.replace(/ [^ ]+$/, ''));

describe('metrics under client-chosen operation names', () => {
  it('2,000 distinct names and 100 KB names from a signed-in caller grow neither /metrics nor the heap', async () => {
    stack = await startStack({ env: { METRICS_TOKEN } });
    const url = await serve(stack);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${stack.apiKey}` };
    const post = async (body: unknown) => {
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify(body) });
      await response.arrayBuffer();
      return response.status;
    };
    const scrape = async () => (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    const huge = (i: number | string) => `Op_${i}_${'x'.repeat(100_000)}`;

    // One of each kind first, so the baseline already holds every series the traffic can add.
    expect(await post({ query: 'query Warm { __typename }' })).toBe(200);
    expect(await post({ query: `query ${huge("w1")} { __typename }` })).toBe(200);
    await post({ query: '{ __typename }', operationName: huge("w2") });
    // An execution error's path is made of the caller's aliases.
    await post({ query: '{ a_1: invitations(first: 0) { edges { cursor } } }' });
    const before = await scrape();
    const heapBefore = settledHeap();

    // The 100 KB names go first so yoga's bounded document cache has turned them over by the end:
    // what stays is what the metrics keep.
    await flood(30, 5, (i) => post({ query: `query ${huge(i)} { __typename }` }));
    await flood(30, 5, (i) => post({ query: `query Q { __typename }`, operationName: huge(i) }));
    await flood(2_000, 20, (i) => post({ query: `query Op_${i} { __typename }` }));
    await flood(50, 10, (i) => post({ query: `{ a_${i}: invitations(first: 0) { edges { cursor } } }` }));

    const after = await scrape();
    const heapGrowth = settledHeap() - heapBefore;
    console.log(`/metrics ${before.length} → ${after.length} bytes, ${requestSeries(before).length} → ${requestSeries(after).length} request series, heap +${(heapGrowth / MB).toFixed(1)} MB`);

    expect(after.length).toBeLessThan(100 * 1024);
    expect(requestSeries(after)).toEqual(requestSeries(before));
    expect(after).not.toMatch(/Op_\d/);
    expect(after).not.toContain('path=');
    expect(Math.max(...after.split('\n').map((line) => line.length))).toBeLessThan(300);
    expect(after).toMatch(/^gateway_graphql_errors_total\{operationName="Anonymous",operationType="query",phase="execute"\} 51$/m);
    expect(after).toMatch(/^gateway_graphql_requests_total\{operationName="other",operationType="query"\} 20\d\d$/m);
    expect(heapGrowth).toBeLessThan(30 * MB);
  }, 120_000);
});
