import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import { guarded, luaNow, RedisScript } from '../redis.ts';
import { COARSE_AFTER, type CallerLimitStore, type HitRequest, type HitResult, type Identity, identityKey, type PeekRequest, type PeekResult } from './store.ts';

export interface RedisCallerLimitStoreOptions {
  /** Use a client that fails fast and reconnects by itself, e.g. from `createGuardRedis`. */
  redis: Redis;
  /** Prefix of every key this store writes. @default 'cig:rl:' */
  prefix?: string;
  /** How long a check may wait for Redis before it fails (and the call is refused). @default 1000 */
  timeoutMs?: number;
  /**
   * Time source for tests. Without one the script reads Redis TIME, so every replica stamps calls with the
   * same clock and a replica whose clock is off cannot stretch or shrink the window for everyone else.
   */
  clock?: Clock;
}

/**
 * One sorted set per identity: score = time, member = "<units recorded so far, 15 digits>:<units>".
 * The zero-padded running total makes members unique and, with the time never going backwards inside a
 * set, keeps rank order equal to recording order, so the units in the window are
 * `total(last) - (total(first) - units(first))` and the entry whose expiry frees enough room is found by
 * binary search over ranks. One script per check: Redis runs it without interleaving any other command.
 * Returns {allowed, remaining, retryAfterMs, resetAfterMs}.
 */
const HIT = new RedisScript(`
local units, max, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local countRejected = ARGV[4] == '1'
${luaNow(5)}
local key = KEYS[1]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local base, total, lastAt = 0, 0, 0
local first = redis.call('ZRANGE', key, 0, 0)
if #first > 0 then
  local c, u = string.match(first[1], '^(%d+):(%d+)$')
  base = tonumber(c) - tonumber(u)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  total = tonumber(string.match(last[1], '^(%d+):'))
  lastAt = tonumber(last[2])
end
local used = total - base
local function resetAfter()
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if #oldest == 0 then return window end
  return math.max(0, tonumber(oldest[2]) + window - now)
end
if units > max then return {0, math.max(0, max - used), window, resetAfter()} end
local fits = used + units <= max
if fits or countRejected then
  local at = math.max(now, lastAt)
  local joined = units
  -- A long log's coarse grain (see COARSE_AFTER): the newest entry takes these units and moves to \`at\`.
  local coarse = tonumber(ARGV[6])
  if #first > 0 and redis.call('ZCARD', key) >= coarse and at - lastAt < window / coarse then
    local last = redis.call('ZRANGE', key, -1, -1)[1]
    joined = joined + tonumber(string.match(last, ':(%d+)$'))
    redis.call('ZREM', key, last)
  end
  total = total + units
  redis.call('ZADD', key, at, string.format('%015d:%d', total, joined))
  redis.call('PEXPIRE', key, at - now + window)
end
if fits then return {1, max - used - units, 0, resetAfter()} end
local target = total + units - max
local lo, hi = 0, redis.call('ZCARD', key) - 1
while lo < hi do
  local mid = math.floor((lo + hi) / 2)
  local m = redis.call('ZRANGE', key, mid, mid)[1]
  if tonumber(string.match(m, '^(%d+):')) >= target then hi = mid else lo = mid + 1 end
end
local entry = redis.call('ZRANGE', key, lo, lo, 'WITHSCORES')
return {0, math.max(0, max - used), math.max(0, tonumber(entry[2]) + window - now), resetAfter()}
`);

/** The same reading as HIT without writing: {used, resetAfterMs}. Entries past the window are skipped, not removed. */
const PEEK = new RedisScript(`
local window = tonumber(ARGV[1])
${luaNow(2)}
local key = KEYS[1]
local first = redis.call('ZRANGEBYSCORE', key, string.format('(%d', now - window), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if #first == 0 then return {0, window} end
local c, u = string.match(first[1], '^(%d+):(%d+)$')
local last = redis.call('ZRANGE', key, -1, -1)
local used = tonumber(string.match(last[1], '^(%d+):')) - (tonumber(c) - tonumber(u))
return {used, math.max(0, tonumber(first[2]) + window - now)}
`);

/**
 * Sliding-window caller limits shared by every replica that points at the same Redis and prefix.
 * `hit` rejects (never resolves "allowed") when Redis does not answer within `timeoutMs`.
 */
export class RedisCallerLimitStore implements CallerLimitStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly clock: Clock | undefined;

  constructor(options: RedisCallerLimitStoreOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? 'cig:rl:';
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.clock = options.clock;
  }

  async hit(identity: Identity, { units, max, windowMs, countRejected }: HitRequest): Promise<HitResult> {
    const args = [units, max, windowMs, countRejected ? '1' : '0', this.clock ? String(this.clock.now()) : '', COARSE_AFTER];
    const key = this.prefix + identityKey(identity);
    const reply = await guarded(this.redis, this.timeoutMs, () => HIT.run(this.redis, [key], args));
    const [allowed, remaining, retryAfterMs, resetAfterMs] = reply as [number, number, number, number];
    return { allowed: allowed === 1, remaining, retryAfterMs, resetAfterMs };
  }

  async peek(identity: Identity, { max, windowMs }: PeekRequest): Promise<PeekResult> {
    const key = this.prefix + identityKey(identity);
    const args = [windowMs, this.clock ? String(this.clock.now()) : ''];
    const reply = await guarded(this.redis, this.timeoutMs, () => PEEK.run(this.redis, [key], args));
    const [used, resetAfterMs] = reply as [number, number];
    return { remaining: Math.max(0, max - used), resetAfterMs, used };
  }
}
