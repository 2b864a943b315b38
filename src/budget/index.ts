export { type CreateBudgetOptions, type CreateGeneralBudgetOptions, createBudget, createGeneralBudget } from './create-budget.ts';
export {
  CALL_FAMILIES,
  type CallFamily,
  DEFAULT_GENERAL_MARGIN_MS,
  DEFAULT_GENERAL_RESERVE_PERCENT,
  defaultGeneralPer10s,
  GENERAL_WINDOW_MS,
  type GeneralBudget,
  type GeneralBudgetOptions,
  type GeneralStatus,
  resolveGeneral,
} from './general.ts';
export { MemoryGeneralBudget } from './general-memory.ts';
export { RedisGeneralBudget, type RedisGeneralBudgetOptions } from './general-redis.ts';
export { MemoryBudget } from './memory-budget.ts';
export { budgetKeys, RedisBudget, type RedisBudgetOptions } from './redis-budget.ts';
export type { BudgetDecision, Channel, ChannelStatus, UpstreamBudget } from './types.ts';
export { type BudgetLimits, type BudgetWindowOptions, budgetWindowMs, DEFAULT_BUDGET_MARGIN_MS, HOUR_MS } from './window.ts';
