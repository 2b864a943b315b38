import { createHash } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import { lazyModule } from './lazy-module.ts';

export const ioredis = lazyModule<typeof import('ioredis')>('ioredis');

/**
 * The Redis every replica shares: its client, and the Lua plumbing of the budgets and the caller limits.
 */

/**
 * Client options for a Redis that guards limits: a dead server must turn into a quick refusal, not a
 * request that hangs, and the client must come back by itself when the server does.
 */
export const guardRedisOptions: RedisOptions = {
  // The default (20) keeps a command queued through 20 reconnect attempts, many seconds.
  maxRetriesPerRequest: 1,
  commandTimeout: 1000,
  connectTimeout: 2000,
  // Never give up reconnecting: recovery must not need a restart.
  retryStrategy: (times) => Math.min(100 * times, 2000),
};

/** A client with {@link guardRedisOptions}; `url` defaults to the local server. */
export function createGuardRedis(url = 'redis://127.0.0.1:6379', options: RedisOptions = {}): Redis {
  return new (ioredis().Redis)(url, { ...guardRedisOptions, ...options });
}

/** Lua that sets `now` (epoch ms) from ARGV[index], or from Redis TIME when that argument is empty. */
export const luaNow = (index: number) => `
local now = tonumber(ARGV[${index}])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end`;

/** A Lua script sent by hash, and in full once more when Redis lost its script cache (a restart, a failover). */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** ioredis states in which a command would only wait in the offline queue. */
const DOWN = new Set(['close', 'reconnecting', 'end']);

/**
 * Runs `work` against Redis, failing at once while the client is known to be disconnected and after
 * `timeoutMs` otherwise, whatever options the client was created with. A command that times out may
 * still run later; for a limit that only ever over-counts, which errs on the safe side.
 */
export function guarded<T>(redis: Redis, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  if (DOWN.has(redis.status)) return Promise.reject(new Error(`Redis is not connected (${redis.status})`));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work(), timeout]).finally(() => clearTimeout(timer));
}
