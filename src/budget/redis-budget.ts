import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { guarded, luaNow, RedisScript } from '../redis.ts';
import { assertLimits, assertRefund, assertUnits, type BudgetWindowOptions, budgetWindowMs, limitOf } from './window.ts';
import type { BudgetDecision, Channel, ChannelStatus, UpstreamBudget } from './types.ts';

export interface RedisBudgetOptions extends BudgetWindowOptions {
  /** Use a client that fails fast and reconnects by itself, e.g. from `createGuardRedis`. */
  redis: Redis;
  /** The Clerk secret key. Only a hash of it appears in key names; it keeps Clerk instances apart. */
  secretKey: string;
  /** Prefix of every key. @default 'cig:budget:' */
  prefix?: string;
  /** How long a call may wait for Redis. @default 1000 */
  timeoutMs?: number;
  /** `retryAfterMs` of an 'unavailable' refusal. @default 2000 */
  unavailableRetryMs?: number;
}

/**
 * Key names for one Clerk instance and channel (or the instance's general allowance); the hash tag keeps
 * all keys of one instance in one cluster slot.
 */
export function budgetKeys(secretKey: string, channel: Channel | 'general', prefix = 'cig:budget:'): { log: string; meta: string } {
  const instance = createHash('sha256').update(secretKey).digest('hex').slice(0, 16);
  const log = `${prefix}{${instance}}:${channel}`;
  return { log, meta: `${log}:meta` };
}

/**
 * Lua that spends `units` of a sliding log (KEYS[1], a sorted set with one member per unit: score =
 * time, member = a sequence number from the meta hash KEYS[2]) when they fit under `limit` within
 * `window`, or when `forced` (a Lua expression) holds; otherwise it answers how long until they fit.
 * Expects `units`, `limit`, `window` and `now` to be set.
 */
export const luaSpendInWindow = (forced: string) => `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
local excess = used + units - limit
if excess > 0 and not (${forced}) then
  local e = redis.call('ZRANGE', KEYS[1], excess - 1, excess - 1, 'WITHSCORES')
  return {0, 1, tonumber(e[2]) + window - now}
end
local seq = redis.call('HINCRBY', KEYS[2], 'seq', units)
local args = {}
for i = 1, units do
  args[2 * i - 1] = now
  args[2 * i] = seq - units + i
end
redis.call('ZADD', KEYS[1], unpack(args))
redis.call('PEXPIRE', KEYS[1], window)
if redis.call('PTTL', KEYS[2]) < window then redis.call('PEXPIRE', KEYS[2], window) end
return {1, math.max(0, limit - used - units)}`;

// The log is a sorted set with one member per unit (score = time, member = a sequence number from the
// meta hash, which also holds `pausedUntil`). Each operation is one script, so Redis runs it whole,
// between any two commands of other replicas.
const TAKE = new RedisScript(`
local units, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
${luaNow(4)}
local paused = tonumber(redis.call('HGET', KEYS[2], 'pausedUntil') or 0)
if paused > now then return {0, 2, paused - now} end
${luaSpendInWindow('false')}
`);

const REFUND = new RedisScript(`
local units, window = tonumber(ARGV[1]), tonumber(ARGV[2])
${luaNow(3)}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if units > 0 then redis.call('ZPOPMIN', KEYS[1], units) end
return 0
`);

/** Pushes a pause field (ARGV[3]) of the meta hash out to ARGV[1], never back; the hash outlives it. */
export const PAUSE = new RedisScript(`
local untilMs = tonumber(ARGV[1])
${luaNow(2)}
local field = ARGV[3]
if untilMs <= now then return 0 end
local current = tonumber(redis.call('HGET', KEYS[1], field) or 0)
if untilMs > current then redis.call('HSET', KEYS[1], field, untilMs) end
local ttl = math.max(untilMs, current) - now
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 0
`);

/**
 * What a log holds in its window, without spending: `{used, oldest (or -1), now, ...pause fields}`,
 * the pause fields of the meta hash named in ARGV[3..].
 */
export const STATUS = new RedisScript(`
local window = tonumber(ARGV[1])
${luaNow(2)}
local from = '(' .. (now - window)
local used = redis.call('ZCOUNT', KEYS[1], from, '+inf')
local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], from, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
local reply = {used, oldest[2] and tonumber(oldest[2]) or -1, now}
for i = 3, #ARGV do reply[#reply + 1] = tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or 0) end
return reply
`);

/**
 * Clerk's allowance shared by every replica that uses the same Redis and secret key.
 *
 * Each channel keeps a sliding one-hour log of spends (or one as long as the configured window) and admits a take only if the log then holds at
 * most `limit` spends. That is never looser than how Clerk might count: a fixed clock-hour window is a
 * part of our sliding hour, so it cannot hold more; and a token bucket of `limit` refilling `limit` per
 * hour holds at least `limit - (spends in the last hour)` tokens. So our own traffic cannot earn a 429;
 * one still means another client spent the allowance, and `pause` then stops every replica.
 *
 * Time: with an injected clock, its `now` is passed into each script (replicas then need NTP-synced
 * clocks, which is also what lets a simulation run an hour at once). Without one, the scripts read
 * Redis TIME, one clock for all replicas. `pause` takes an absolute time from the caller's clock.
 *
 * Failures: `take` resolves `{ ok: false, reason: 'unavailable' }` within `timeoutMs` and `status`
 * resolves with `unavailable: true`; neither lets a call through. `refund` and `pause` reject so the
 * caller can log it; a lost refund only leaves the budget stricter than it needs to be.
 */
export class RedisBudget implements UpstreamBudget {
  private readonly options: RedisBudgetOptions;
  private readonly windowMs: number;

  constructor(options: RedisBudgetOptions) {
    assertLimits(options);
    if (!options.secretKey) throw new TypeError('RedisBudget: secretKey is required, so each Clerk instance has its own budget');
    this.options = options;
    this.windowMs = budgetWindowMs(options);
  }

  async take(channel: Channel, units: number): Promise<BudgetDecision> {
    const limit = limitOf(this.options, channel);
    assertUnits(channel, units, limit);
    let reply: number[];
    try {
      reply = (await this.run(TAKE, channel, [units, limit, this.windowMs, this.now()])) as number[];
    } catch {
      return { ok: false, reason: 'unavailable', retryAfterMs: this.options.unavailableRetryMs ?? 2000 };
    }
    const [ok, codeOrRemaining, retryAfterMs] = reply as [number, number, number];
    if (ok === 1) return { ok: true, remaining: codeOrRemaining };
    return { ok: false, reason: codeOrRemaining === 2 ? 'paused' : 'spent', retryAfterMs };
  }

  /**
   * Removes the oldest spends, not the newest. The true log (calls actually sent) is ours minus the
   * refunded spends, wherever they sit; removing the oldest leaves every later spend in place, so for any
   * moment ahead our log counts at least as many spends as the true one and never admits more.
   */
  async refund(channel: Channel, units: number): Promise<void> {
    assertRefund(channel, units);
    if (units > 0) await this.run(REFUND, channel, [units, this.windowMs, this.now()]);
  }

  async pause(channel: Channel, untilMs: number): Promise<void> {
    const { meta } = budgetKeys(this.options.secretKey, channel, this.options.prefix);
    await guarded(this.options.redis, this.timeoutMs(), () =>
      PAUSE.run(this.options.redis, [meta], [Math.ceil(untilMs), this.now(), 'pausedUntil']),
    );
  }

  async status(channel: Channel): Promise<ChannelStatus> {
    const limit = limitOf(this.options, channel);
    try {
      const [used, oldest, now, paused] = (await this.run(STATUS, channel, [this.windowMs, this.now(), 'pausedUntil'])) as number[];
      return {
        channel,
        limit,
        remaining: Math.max(0, limit - used!),
        windowMs: this.windowMs,
        resetAt: oldest! >= 0 ? oldest! + this.windowMs : null,
        pausedUntil: paused! > now! ? paused! : null,
      };
    } catch {
      return { channel, limit, remaining: 0, windowMs: this.windowMs, resetAt: null, pausedUntil: null, unavailable: true };
    }
  }

  /** The Redis client belongs to whoever created it, so it stays open. */
  async close(): Promise<void> {}

  private run(script: RedisScript, channel: Channel, args: Array<string | number>): Promise<unknown> {
    const { log, meta } = budgetKeys(this.options.secretKey, channel, this.options.prefix);
    return guarded(this.options.redis, this.timeoutMs(), () => script.run(this.options.redis, [log, meta], args));
  }

  private now(): string {
    return this.options.clock ? String(Math.floor(this.options.clock.now())) : '';
  }

  private timeoutMs(): number {
    return this.options.timeoutMs ?? 1000;
  }
}
