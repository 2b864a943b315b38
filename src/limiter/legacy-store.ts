import type { Store } from 'graphql-rate-limit';
import type { CallerLimitStore, HitRequest, HitResult, Identity, PeekRequest, PeekResult } from './store.ts';

/**
 * graphql-rate-limit's own `InMemoryStore` / `RedisStore` (or any of its `Store`s) behind our interface,
 * with the same get, filter and set its limiter performs. Meant for side-by-side benchmarks: the read and
 * the write are separate steps, so concurrent calls for one identity can all pass.
 */
export function fromGraphQLRateLimitStore(store: Store): CallerLimitStore {
  return {
    async hit(identity: Identity, { units, max, windowMs, countRejected }: HitRequest): Promise<HitResult> {
      const now = Date.now();
      const live = (await store.getForIdentity(identity)).filter((t) => t + windowMs > now);
      const limitReached = live.length + units > max;
      const kept = countRejected || !limitReached ? [...live, ...new Array<number>(units).fill(now)] : live;
      await store.setForIdentity(identity, kept, windowMs);
      const resetAfterMs = resetAfter(kept, now, windowMs);
      if (!limitReached) return { allowed: true, remaining: max - live.length - units, retryAfterMs: 0, resetAfterMs };
      const remaining = Math.max(0, max - live.length);
      if (units > max) return { allowed: false, remaining, retryAfterMs: windowMs, resetAfterMs };
      const sorted = [...kept].sort((a, b) => a - b);
      const leaving = sorted[kept.length + units - max - 1]!;
      return { allowed: false, remaining, retryAfterMs: Math.max(0, leaving + windowMs - now), resetAfterMs };
    },
    async peek(identity: Identity, { max, windowMs }: PeekRequest): Promise<PeekResult> {
      const now = Date.now();
      const live = (await store.getForIdentity(identity)).filter((t) => t + windowMs > now);
      return { remaining: Math.max(0, max - live.length), resetAfterMs: resetAfter(live, now, windowMs), used: live.length };
    },
  };
}

function resetAfter(timestamps: readonly number[], now: number, windowMs: number): number {
  return timestamps.length === 0 ? windowMs : Math.max(0, Math.min(...timestamps) + windowMs - now);
}
