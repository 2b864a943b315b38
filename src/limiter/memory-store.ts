import { type Clock, systemClock } from '../clock.ts';
import { COARSE_AFTER, type CallerLimitStore, type HitRequest, type HitResult, type Identity, identityKey, type PeekRequest, type PeekResult } from './store.ts';

export interface MemoryCallerLimitStoreOptions {
  /**
   * Most logs (identity × field) held at once. When a new one would exceed it, the log closest to expiring
   * is dropped, which forgets that caller's recent calls: size it above the callers active in one window.
   * @default 100_000
   */
  maxKeys?: number;
  /** @default systemClock */
  clock?: Clock;
}

/**
 * The sliding log of one identity. Entries are ordered; `cum[i]` is the units recorded up to and including
 * entry i, so the units in the window are `cum[last] - base` and the entry whose expiry frees enough room
 * is found by binary search instead of a scan, however many rejected calls were recorded.
 */
interface Log {
  ts: number[];
  cum: number[];
  /** Entries before `head` have left the window; they are cut off in chunks, not one by one. */
  head: number;
  /** `cum` of the last entry that left the window (0 for none). */
  base: number;
  expiresAt: number;
}

/**
 * A sliding-window limiter for one process, exact to the millisecond until a log holds COARSE_AFTER
 * entries, never looser after. `hit` runs synchronously, so concurrent calls cannot interleave between
 * check and record. A check costs O(1) amortised (O(log n) extra when it rejects), expired identities
 * are evicted as time passes, and `maxKeys` logs of at most 2 × COARSE_AFTER entries cap memory.
 */
export class MemoryCallerLimitStore implements CallerLimitStore {
  // One map per window length. A log is re-inserted whenever it records, so within one map insertion order
  // is expiry order and eviction only ever inspects the front.
  private readonly logs = new Map<number, Map<string, Log>>();
  private count = 0;
  private readonly maxKeys: number;
  private readonly clock: Clock;

  constructor(options: MemoryCallerLimitStoreOptions = {}) {
    this.maxKeys = options.maxKeys ?? 100_000;
    this.clock = options.clock ?? systemClock;
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) {
      throw new TypeError(`MemoryCallerLimitStore: maxKeys must be a positive integer, got ${options.maxKeys}`);
    }
  }

  /** Logs currently held. */
  get size(): number {
    return this.count;
  }

  /** Entries of every log still in its window: what the store's memory grows with. */
  get entries(): number {
    let total = 0;
    for (const byKey of this.logs.values()) for (const log of byKey.values()) total += log.ts.length - log.head;
    return total;
  }

  hit(identity: Identity, request: HitRequest): Promise<HitResult> {
    try {
      return Promise.resolve(this.hitNow(identityKey(identity), request));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  peek(identity: Identity, { max, windowMs }: PeekRequest): Promise<PeekResult> {
    const now = this.clock.now();
    const log = this.logs.get(windowMs)?.get(identityKey(identity));
    // Pruning drops only entries that no longer count, so this reads without spending.
    if (log) prune(log, now - windowMs);
    const used = log ? usedUnits(log) : 0;
    return Promise.resolve({ remaining: Math.max(0, max - used), resetAfterMs: resetAfter(log, now, windowMs), used });
  }

  private hitNow(key: string, { units, max, windowMs, countRejected }: HitRequest): HitResult {
    const now = this.clock.now();
    this.evictExpired(now);
    let byKey = this.logs.get(windowMs);
    if (!byKey) this.logs.set(windowMs, (byKey = new Map()));
    let log = byKey.get(key);
    if (log) prune(log, now - windowMs);
    const used = log ? usedUnits(log) : 0;
    // It could never fit; recording it would only block the caller for nothing.
    if (units > max) return { allowed: false, remaining: Math.max(0, max - used), retryAfterMs: windowMs, resetAfterMs: resetAfter(log, now, windowMs) };
    const fits = used + units <= max;
    if (fits || countRejected) log = this.record(byKey, key, log, units, now, windowMs);
    const resetAfterMs = resetAfter(log, now, windowMs);
    if (fits) return { allowed: true, remaining: max - used - units, retryAfterMs: 0, resetAfterMs };
    // `used > 0` here, so the log exists.
    return { allowed: false, remaining: Math.max(0, max - used), retryAfterMs: retryAfter(log!, units, max, now, windowMs), resetAfterMs };
  }

  private record(byKey: Map<string, Log>, key: string, log: Log | undefined, units: number, now: number, windowMs: number): Log {
    const entry = log ?? { ts: [], cum: [], head: 0, base: 0, expiresAt: 0 };
    const last = entry.ts.length - 1;
    // A clock that steps back must not unorder the log.
    const at = last >= entry.head ? Math.max(now, entry.ts[last]!) : now;
    // The same millisecond, or a long log's coarse grain (see COARSE_AFTER): join the newest entry.
    const joins = last >= entry.head && (entry.ts[last] === at || (last - entry.head + 1 >= COARSE_AFTER && at - entry.ts[last]! < windowMs / COARSE_AFTER));
    if (joins) {
      entry.ts[last] = at;
      entry.cum[last]! += units;
    } else {
      entry.ts.push(at);
      entry.cum.push((last >= 0 ? entry.cum[last]! : entry.base) + units);
    }
    entry.expiresAt = at + windowMs;
    if (log) byKey.delete(key);
    else this.count += 1;
    byKey.set(key, entry);
    if (this.count > this.maxKeys) this.evictOne();
    return entry;
  }

  private evictExpired(now: number): void {
    for (const [windowMs, byKey] of this.logs) {
      for (const [key, log] of byKey) {
        if (log.expiresAt > now) break;
        byKey.delete(key);
        this.count -= 1;
      }
      if (byKey.size === 0) this.logs.delete(windowMs);
    }
  }

  private evictOne(): void {
    let victim: { byKey: Map<string, Log>; key: string; expiresAt: number } | undefined;
    for (const byKey of this.logs.values()) {
      const first = byKey.entries().next();
      if (!first.done && (!victim || first.value[1].expiresAt < victim.expiresAt)) {
        victim = { byKey, key: first.value[0], expiresAt: first.value[1].expiresAt };
      }
    }
    if (victim && victim.byKey.delete(victim.key)) this.count -= 1;
  }
}

function usedUnits(log: Log): number {
  return log.ts.length > log.head ? log.cum[log.cum.length - 1]! - log.base : 0;
}

/** Time until the oldest counted entry leaves the window; the whole window for an empty log. */
function resetAfter(log: Log | undefined, now: number, windowMs: number): number {
  if (!log || log.head >= log.ts.length) return windowMs;
  return Math.max(0, log.ts[log.head]! + windowMs - now);
}

/** Drops entries at or before `cutoff` (an entry counts while `ts + windowMs > now`, as in graphql-rate-limit). */
function prune(log: Log, cutoff: number): void {
  while (log.head < log.ts.length && log.ts[log.head]! <= cutoff) log.base = log.cum[log.head++]!;
  if (log.head === log.ts.length) {
    log.ts = [];
    log.cum = [];
    log.head = 0;
    log.base = 0;
  } else if (log.head > 32 && log.head * 2 > log.ts.length) {
    log.ts.splice(0, log.head);
    log.cum.splice(0, log.head);
    log.head = 0;
  }
}

/** Time until enough old entries leave that `units` more fit under `max`. */
function retryAfter(log: Log, units: number, max: number, now: number, windowMs: number): number {
  const target = log.cum[log.cum.length - 1]! + units - max;
  let lo = log.head;
  let hi = log.cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log.cum[mid]! >= target) hi = mid;
    else lo = mid + 1;
  }
  return Math.max(0, log.ts[lo]! + windowMs - now);
}
