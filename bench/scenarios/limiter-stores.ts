import { InMemoryStore, RedisStore } from 'graphql-rate-limit';
import { Redis } from 'ioredis';
import {
  type CallerLimitStore,
  fromGraphQLRateLimitStore,
  type HitRequest,
  type Identity,
  identityKey,
  MemoryCallerLimitStore,
  RedisCallerLimitStore,
} from '../../src/limiter/index.ts';
import { createGuardRedis } from '../../src/redis.ts';

export const FIELD = 'Mutation.createInvitations';
export const HIT: HitRequest = { units: 1, max: 100, windowMs: 3_600_000, countRejected: true };
export const identity = (i: number): Identity => ({ contextIdentity: `apikey:caller-${i}`, fieldIdentity: FIELD });

/** One store under test, with a way to add callers quickly, each as if it had made one check just now. */
export interface LimiterSubject {
  name: string;
  redis: boolean;
  store: CallerLimitStore;
  prefill(from: number, to: number): Promise<void>;
  close(): Promise<void>;
}

export function ourMemory(maxCallers: number): LimiterSubject {
  // The default maxKeys (100k) would evict past 100k callers; raised so every caller stays counted.
  const store = new MemoryCallerLimitStore({ maxKeys: Math.max(100_000, maxCallers) });
  return {
    name: 'ours: MemoryCallerLimitStore',
    redis: false,
    store,
    // Through the real API: a check is synchronous inside, so this is both exact and fast.
    prefill: async (from, to) => {
      for (let i = from; i < to; i++) await store.hit(identity(i), HIT);
    },
    close: async () => {},
  };
}

// Redis-side loops write what a check leaves behind without a client round trip per key; chunks keep
// each script short so Redis stays responsive to anyone else using it meanwhile.
const SCRIPT_CHUNK = 20_000;

const FILL_OURS = `
local head, tail, from, to, now, window = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6]
for i = from, to - 1 do
  local key = head .. i .. tail
  redis.call('ZADD', key, now, '000000000000001:1')
  redis.call('PEXPIRE', key, window)
end
return to - from`;

const FILL_THEIRS = `
local head, tail, from, to, value, seconds = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6]
for i = from, to - 1 do
  redis.call('SET', head .. i .. tail, value, 'EX', seconds)
end
return to - from`;

/** Splits the key of caller i into the text before and after i, checking that the split rebuilds it. */
function keyParts(keyOf: (i: number) => string): [string, string] {
  const sample = keyOf(987_654_321);
  const [head, tail] = sample.split('987654321') as [string, string];
  for (const i of [0, 7, 1_000_000]) if (head + i + tail !== keyOf(i)) throw new Error(`cannot split key ${keyOf(i)}`);
  return [head, tail];
}

async function fillByScript(url: string, script: string, parts: [string, string], from: number, to: number, extra: Array<string | number>) {
  const redis = new Redis(url);
  try {
    for (let start = from; start < to; start += SCRIPT_CHUNK) {
      await redis.eval(script, 0, ...parts, start, Math.min(to, start + SCRIPT_CHUNK), ...extra);
    }
  } finally {
    redis.disconnect();
  }
}

export function ourRedis(url: string, prefix: string): LimiterSubject {
  const redis = createGuardRedis(url);
  const storePrefix = `${prefix}ours:`;
  const store = new RedisCallerLimitStore({ redis, prefix: storePrefix });
  const parts = keyParts((i) => storePrefix + identityKey(identity(i)));
  return {
    name: 'ours: RedisCallerLimitStore',
    redis: true,
    store,
    // One member "<running total>:<units>" scored now, and the window as TTL: what one check leaves.
    prefill: (from, to) => fillByScript(url, FILL_OURS, parts, from, to, [Date.now(), HIT.windowMs]),
    close: async () => redis.disconnect(),
  };
}

export function theirMemory(): LimiterSubject {
  const raw = new InMemoryStore();
  return {
    name: 'graphql-rate-limit InMemoryStore',
    redis: false,
    store: fromGraphQLRateLimitStore(raw),
    // Filling it through its API copies the whole state per caller (hours at 100k), so the state it would
    // reach is built directly, in the exact shape setForIdentity writes.
    prefill: async (from, to) => {
      const state = raw.state as Record<string, Record<string, number[]>>;
      const now = Date.now();
      for (let i = from; i < to; i++) state[identity(i).contextIdentity] = { [FIELD]: [now] };
    },
    close: async () => {},
  };
}

export function theirRedis(url: string, prefix: string): LimiterSubject {
  // RedisStore has a fixed key namespace; ioredis' keyPrefix keeps its keys under this run's prefix.
  const keyPrefix = `${prefix}grl:`;
  const redis = new Redis(url, { keyPrefix });
  const store = fromGraphQLRateLimitStore(new RedisStore(redis));
  const parts = keyParts((i) => `${keyPrefix}redis-store-id::${identity(i).contextIdentity}:${FIELD}`);
  return {
    name: 'graphql-rate-limit RedisStore',
    redis: true,
    store,
    prefill: (from, to) => fillByScript(url, FILL_THEIRS, parts, from, to, [JSON.stringify([Date.now()]), HIT.windowMs / 1000]),
    close: async () => redis.disconnect(),
  };
}

/** Deletes every key under `prefix`; SCAN + UNLINK so a million keys do not block Redis. */
export async function deleteUnder(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export async function redisUsedMemory(url: string): Promise<number> {
  const redis = new Redis(url);
  try {
    const info = await redis.info('memory');
    return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
  } finally {
    redis.disconnect();
  }
}

