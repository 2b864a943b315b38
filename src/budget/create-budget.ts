import type { Redis } from 'ioredis';
import type { GeneralBudget, GeneralBudgetOptions } from './general.ts';
import { MemoryGeneralBudget } from './general-memory.ts';
import { RedisGeneralBudget } from './general-redis.ts';
import { MemoryBudget } from './memory-budget.ts';
import { RedisBudget } from './redis-budget.ts';
import type { UpstreamBudget } from './types.ts';
import type { BudgetWindowOptions } from './window.ts';

export interface CreateBudgetOptions extends BudgetWindowOptions {
  /** Shared Redis. Without it the budget lives in this process, which is right only for one replica. */
  redis?: Redis;
  /** The Clerk secret key; the Redis budget is per Clerk instance and names keys by a hash of it. */
  secretKey: string;
  /** Key prefix for the Redis budget. @default 'cig:budget:' */
  prefix?: string;
}

/** The budget for one Clerk instance: in Redis when a client is given, in memory otherwise. */
export function createBudget({ redis, secretKey, prefix, ...window }: CreateBudgetOptions): UpstreamBudget {
  return redis ? new RedisBudget({ ...window, redis, secretKey, prefix }) : new MemoryBudget(window);
}

export interface CreateGeneralBudgetOptions extends GeneralBudgetOptions {
  redis?: Redis;
  secretKey: string;
  prefix?: string;
}

/** Clerk's general allowance for one instance: in Redis when a client is given, in memory otherwise. */
export function createGeneralBudget({ redis, secretKey, prefix, ...options }: CreateGeneralBudgetOptions): GeneralBudget {
  return redis ? new RedisGeneralBudget({ ...options, redis, secretKey, prefix }) : new MemoryGeneralBudget(options);
}
