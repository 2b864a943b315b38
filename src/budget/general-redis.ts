import type { Redis } from 'ioredis';
import { guarded, luaNow, RedisScript } from '../redis.ts';
import {
  assertFamily,
  assertGeneralUnits,
  CALL_FAMILIES,
  type CallFamily,
  type GeneralBudget,
  type GeneralBudgetOptions,
  type GeneralStatus,
  type ResolvedGeneral,
  resolveGeneral,
} from './general.ts';
import { budgetKeys, luaSpendInWindow, PAUSE, STATUS } from './redis-budget.ts';
import type { BudgetDecision } from './types.ts';

export interface RedisGeneralBudgetOptions extends GeneralBudgetOptions {
  /** Use a client that fails fast and reconnects by itself, e.g. from `createGuardRedis`. */
  redis: Redis;
  /** The Clerk secret key; only a hash of it appears in key names. */
  secretKey: string;
  /** Prefix of every key, the same as the hourly budget's. @default 'cig:budget:' */
  prefix?: string;
  /** How long a call may wait for Redis. @default 1000 */
  timeoutMs?: number;
  /** `retryAfterMs` of an 'unavailable' refusal. @default 2000 */
  unavailableRetryMs?: number;
}

// Same layout as the hourly channels: a sorted set with one member per request (score = time, member =
// a sequence number from the meta hash), and the meta hash also holding `paused:<family>`. A take with
// `force` (a create's charge) skips the checks and always records.
const TAKE = new RedisScript(`
local units, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
${luaNow(4)}
local family, force = ARGV[5], ARGV[6] == '1'
if not force then
  local paused = tonumber(redis.call('HGET', KEYS[2], 'paused:' .. family) or 0)
  if paused > now then return {0, 2, paused - now} end
end
${luaSpendInWindow('force')}
`);

/**
 * Clerk's general allowance shared by every replica on the same Redis and secret key.
 *
 * A sliding log, not a fixed window: Clerk does not document how it counts its 10 s. A fixed 10 s window
 * is a part of our sliding one, so it cannot hold more than we admitted; a token bucket of the same size
 * holds at least `limit` minus what we logged. Either way our own traffic cannot earn a 429.
 *
 * Time and failures behave as in `RedisBudget`: an injected clock is passed in, otherwise the scripts
 * read Redis TIME; `take` refuses with 'unavailable' within `timeoutMs`, `status` says `unavailable`,
 * `charge` and `pause` reject so the caller can log it.
 */
export class RedisGeneralBudget implements GeneralBudget {
  private readonly resolved: ResolvedGeneral;
  private readonly keys: [string, string];

  constructor(private readonly options: RedisGeneralBudgetOptions) {
    if (!options.secretKey) throw new TypeError('RedisGeneralBudget: secretKey is required, so each Clerk instance has its own budget');
    this.resolved = resolveGeneral(options);
    const { log, meta } = budgetKeys(options.secretKey, 'general', options.prefix);
    this.keys = [log, meta];
  }

  async take(family: CallFamily, units: number, keep = 0): Promise<BudgetDecision> {
    assertFamily(family);
    const { windowMs } = this.resolved;
    assertGeneralUnits(units, this.resolved.limit);
    // Whatever is held back, a take that fits the whole limit can still fit.
    const limit = this.resolved.limit - Math.max(0, Math.min(keep, this.resolved.limit - units));
    let reply: number[];
    try {
      reply = (await this.run(TAKE, this.keys, [units, limit, windowMs, this.now(), family, 0])) as number[];
    } catch {
      return { ok: false, reason: 'unavailable', retryAfterMs: this.options.unavailableRetryMs ?? 2000 };
    }
    const [ok, codeOrRemaining, retryAfterMs] = reply as [number, number, number];
    if (ok === 1) return { ok: true, remaining: codeOrRemaining };
    return { ok: false, reason: codeOrRemaining === 2 ? 'paused' : 'spent', retryAfterMs };
  }

  async charge(units: number): Promise<void> {
    if (!Number.isInteger(units) || units < 1) throw new RangeError(`general budget: cannot charge ${units} units`);
    const { limit, windowMs } = this.resolved;
    await this.run(TAKE, this.keys, [units, limit, windowMs, this.now(), '', 1]);
  }

  async pause(family: CallFamily, untilMs: number): Promise<void> {
    assertFamily(family);
    await this.run(PAUSE, [this.keys[1]], [Math.ceil(untilMs), this.now(), `paused:${family}`]);
  }

  async status(): Promise<GeneralStatus> {
    const { clerkLimit, limit, windowMs } = this.resolved;
    try {
      const [used, oldest, now, ...paused] = (await this.run(STATUS, this.keys, [windowMs, this.now(), ...CALL_FAMILIES.map((family) => `paused:${family}`)])) as number[];
      return {
        clerkLimit,
        limit,
        remaining: Math.max(0, limit - used!),
        windowMs,
        resetAt: oldest! >= 0 ? oldest! + windowMs : null,
        paused: CALL_FAMILIES.map((family, i) => ({ family, pausedUntil: paused[i]! > now! ? paused[i]! : null })),
      };
    } catch {
      return { clerkLimit, limit, remaining: 0, windowMs, resetAt: null, paused: CALL_FAMILIES.map((family) => ({ family, pausedUntil: null })), unavailable: true };
    }
  }

  private run(script: RedisScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    return guarded(this.options.redis, this.options.timeoutMs ?? 1000, () => script.run(this.options.redis, keys, args));
  }

  private now(): string {
    return this.options.clock ? String(Math.floor(this.options.clock.now())) : '';
  }
}
