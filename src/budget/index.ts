export { type CreateBudgetOptions, createBudget } from './create-budget.ts';
export { MemoryBudget } from './memory-budget.ts';
export { budgetKeys, RedisBudget, type RedisBudgetOptions } from './redis-budget.ts';
export type { BudgetDecision, Channel, ChannelStatus, Clock, UpstreamBudget } from './types.ts';
export { systemClock } from './types.ts';
export { type BudgetLimits, type BudgetWindowOptions, DEFAULT_BUDGET_MARGIN_MS } from './window.ts';
