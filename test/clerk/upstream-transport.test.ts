import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamFailure } from '../../src/clerk/classify.ts';
import { ClerkUpstream } from '../../src/clerk/upstream.ts';

// Raw sockets stand in for Clerk here because these failures live below HTTP: a port nobody listens
// on, a server that never answers, a connection cut after the request arrived.
const servers: Server[] = [];
afterEach(() => {
  servers.splice(0).forEach((s) => {
    s.closeAllConnections();
    s.close();
  });
});

async function serve(onRequest: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(onRequest);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failureOf(promise: Promise<unknown>) {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UpstreamFailure);
  return (error as UpstreamFailure).info;
}

const item = { emailAddress: 'a@example.com' };

describe('ClerkUpstream transport', () => {
  it('classifies a refused connection as not sent', async () => {
    const url = await serve(() => {});
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const upstream = new ClerkUpstream({ secretKey: 'sk_test_x', apiUrl: url, timeoutMs: 2_000 });
    expect((await failureOf(upstream.createBulk([item]))).kind).toBe('not-sent');
  });

  it('ends a hung call at the deadline and calls its outcome unknown', async () => {
    let closedByClient = false;
    const url = await serve((req) => req.socket.on('close', () => (closedByClient = true)));
    const upstream = new ClerkUpstream({ secretKey: 'sk_test_x', apiUrl: url, timeoutMs: 300 });
    const started = performance.now();
    const info = await failureOf(upstream.createBulk([item]));
    expect(info).toMatchObject({ kind: 'unknown' });
    expect(info.message).toMatch(/within 300 ms/);
    expect(performance.now() - started).toBeLessThan(1_200);
    await new Promise((r) => setTimeout(r, 50));
    expect(closedByClient).toBe(true);
  });

  it('calls a connection reset after the request arrived an unknown outcome', async () => {
    const url = await serve((req) => req.on('data', () => {}).on('end', () => req.socket.destroy()));
    const upstream = new ClerkUpstream({ secretKey: 'sk_test_x', apiUrl: url, timeoutMs: 2_000 });
    expect((await failureOf(upstream.createBulk([item]))).kind).toBe('unknown');
  });

  it('calls a 200 with a body that is not invitations an unknown outcome', async () => {
    const url = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>oops</html>'));
    const upstream = new ClerkUpstream({ secretKey: 'sk_test_x', apiUrl: url, timeoutMs: 2_000 });
    expect((await failureOf(upstream.createBulk([item]))).kind).toBe('unknown');
  });

  it('calls a 5xx an unknown outcome and a 429 rate-limited with its Retry-After', async () => {
    const url = await serve((req, res) => {
      const body = JSON.stringify({ errors: [{ code: 'too_many_requests', message: 'Too many requests', long_message: 'Too many requests, retry later' }] });
      if (req.url?.includes('bulk')) res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '42' }).end(body);
      else res.writeHead(502, { 'content-type': 'text/html' }).end('bad gateway');
    });
    const upstream = new ClerkUpstream({ secretKey: 'sk_test_x', apiUrl: url, timeoutMs: 2_000 });
    expect(await failureOf(upstream.createBulk([item]))).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 42 });
    expect(await failureOf(upstream.createOne(item))).toMatchObject({ kind: 'unknown', status: 502 });
  });
});
