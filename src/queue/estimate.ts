import type { UpstreamBudget } from '../budget/types.ts';
import { MAX_BULK_ITEMS } from '../batcher/batcher.ts';
import type { JobMeta } from './types.ts';

export interface EstimateInput {
  meta: JobMeta;
  /** Pending items per owner in the job's family, this job's owner included. */
  pendingByOwner: Map<string, number>;
  budget: UpstreamBudget;
  limits: { bulkPerHour: number; singlePerHour: number };
  /** The window the hourly limits apply to. */
  windowMs: number;
  now: number;
}

/**
 * When the job's last item should be sent. Owners are served round-robin, so before this job's P
 * pending items are out, every other owner sends at most P of theirs; this owner's own other jobs come
 * too. What the budget holds now goes at once, the rest at the allowance's full rate per window.
 */
export async function estimateCompletion({ meta, pendingByOwner, budget, limits, windowMs, now }: EstimateInput): Promise<number | null> {
  if (meta.finishedAt !== null || meta.state === 'CANCELLED') return null;
  const mine = meta.pendingCount;
  let ahead = 0;
  for (const [owner, pending] of pendingByOwner) ahead += owner === meta.owner ? Math.max(pending, mine) : Math.min(pending, mine);
  const [bulk, single] = await Promise.all([budget.status('bulk'), budget.status('single')]);
  const paused = Math.max(bulk.pausedUntil ?? 0, single.pausedUntil ?? 0, now);
  const nowCapacity = bulk.remaining * MAX_BULK_ITEMS + single.remaining;
  if (ahead <= nowCapacity) return paused;
  const perWindow = limits.bulkPerHour * MAX_BULK_ITEMS + limits.singlePerHour;
  const start = Math.max(paused, Math.min(bulk.resetAt ?? now, single.resetAt ?? now));
  return Math.round(start + ((ahead - nowCapacity) / perWindow) * windowMs);
}
