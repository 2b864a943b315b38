export {
  type ApplyRateLimitsOptions,
  applyRateLimits,
  callerLimitReader,
  type CallerLimitStatus,
  parseRateLimitWindow,
  rateLimitCheck,
  type RateLimitOverride,
  type RateLimitReport,
} from './apply-rate-limits.ts';
export { RATE_LIMIT_DIRECTIVE, type RateLimitDirectiveArgs, rateLimitDirective } from './directive.ts';
export { fromGraphQLRateLimitStore } from './legacy-store.ts';
export { MemoryCallerLimitStore, type MemoryCallerLimitStoreOptions } from './memory-store.ts';
export { RedisCallerLimitStore, type RedisCallerLimitStoreOptions } from './redis-store.ts';
export { type CallerLimitStore, type HitRequest, type HitResult, type Identity, identityKey, type PeekRequest, type PeekResult } from './store.ts';
export { callerLimitPolicy, type CallerPolicyOptions } from './caller-policy.ts';
