import { afterAll, afterEach, beforeAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { createGuardRedis } from '../../src/redis.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether the test Redis answers; tests that need it skip (with a note) when it does not. */
export async function redisReachable(suite: string, url = REDIS_URL): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    console.warn(`[${suite}] Redis at ${url} is unreachable: skipping the Redis tests (set REDIS_URL to run them).`);
    return false;
  } finally {
    probe.disconnect();
  }
}

/** A fresh client, as a replica would hold one. */
export function connect(url = REDIS_URL): Redis {
  const redis = createGuardRedis(url);
  redis.on('error', () => {});
  return redis;
}

export function uniquePrefix(name: string): string {
  return `cig:test:${name}:${randomUUID().slice(0, 8)}:`;
}

export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

export async function deleteUnder(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, prefix);
  if (keys.length > 0) await redis.del(...keys);
}

/** A port on which nothing listens. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP proxy to the test Redis that can be cut and restored, to watch a client lose and regain it. */
export async function redisProxy(): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const start = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  };
  const cut = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  };
  await start();
  const auth = target.username || target.password ? `${target.username}:${target.password}@` : '';
  return { url: `redis://${auth}127.0.0.1:${port}${target.pathname}`, cut, restore: start, close: cut };
}

/** A server that accepts connections and never answers, like a Redis stuck behind a dead network path. */
export async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Two connections (two replicas' worth) for the tests of a describe block, and unique key prefixes that
 * are deleted after each test.
 */
export function twoClients(): { a: () => Redis; b: () => Redis; prefix: (name: string) => string } {
  let a: Redis;
  let b: Redis;
  const prefixes: string[] = [];
  beforeAll(() => {
    a = connect();
    b = connect();
  });
  afterEach(async () => {
    for (const p of prefixes.splice(0)) await deleteUnder(a, p);
  });
  afterAll(() => {
    a.disconnect();
    b.disconnect();
  });
  return {
    a: () => a,
    b: () => b,
    prefix: (name) => {
      const p = uniquePrefix(name);
      prefixes.push(p);
      return p;
    },
  };
}

/** A client of `server` for the length of `run`; the client and the server are closed afterwards. */
export async function withClientOf<S extends { url: string; close(): Promise<void> }>(server: S, run: (redis: Redis, server: S) => Promise<void>) {
  const redis = connect(server.url);
  try {
    await run(redis, server);
  } finally {
    redis.disconnect();
    await server.close();
  }
}
