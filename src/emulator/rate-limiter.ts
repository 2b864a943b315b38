/**
 * Per-instance sliding-window limits. Clerk documents the invitation limits as requests per hour per
 * instance and blocks with `429` plus `Retry-After` seconds; a log of admitted calls gives an exact
 * "seconds until the next call is admitted" for that header.
 */
import type { EmulatorLimits, RouteKind } from './types.ts';

const HOUR_MS = 3_600_000;

class SlidingWindow {
  private hits: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Milliseconds until one more call fits, 0 when it fits now. */
  waitMs(now: number): number {
    this.hits = this.hits.filter((t) => t > now - this.windowMs);
    if (this.hits.length < this.limit) return 0;
    const oldestBlocking = this.hits[this.hits.length - this.limit] ?? now;
    return Math.max(1, oldestBlocking + this.windowMs - now);
  }

  record(now: number): void {
    this.hits.push(now);
  }
}

export type LimitDecision = { admitted: true } | { admitted: false; retryAfterSeconds: number };

/** Validates limit options up front so a typo fails at start-up, not as a surprise 429. */
export function resolveLimits(limits: EmulatorLimits = {}): Required<Omit<EmulatorLimits, 'generalPer10s'>> &
  Pick<EmulatorLimits, 'generalPer10s'> {
  const given = Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
  const resolved = { bulkPerHour: 25, singlePerHour: 100, ...given };
  for (const [name, value] of Object.entries(resolved)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new RangeError(`limits.${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return resolved;
}

/** The limits of one instance: one window per invitation channel plus the optional general one. */
export class InstanceLimiter {
  private readonly bulk: SlidingWindow;
  private readonly single: SlidingWindow;
  private readonly general: SlidingWindow | undefined;

  constructor(limits: ReturnType<typeof resolveLimits>) {
    this.bulk = new SlidingWindow(limits.bulkPerHour, HOUR_MS);
    this.single = new SlidingWindow(limits.singlePerHour, HOUR_MS);
    this.general = limits.generalPer10s ? new SlidingWindow(limits.generalPer10s, 10_000) : undefined;
  }

  /**
   * Admits and counts the call, or says how long to wait. A call refused here is not counted:
   * counting refusals would keep a retrying client blocked past the `Retry-After` it was given.
   */
  admit(route: RouteKind, now: number): LimitDecision {
    const windows = [
      route === 'bulk' ? this.bulk : route === 'single' ? this.single : undefined,
      route === 'jwks' ? undefined : this.general,
    ].filter((w): w is SlidingWindow => w !== undefined);
    const waitMs = Math.max(0, ...windows.map((w) => w.waitMs(now)));
    if (waitMs > 0) return { admitted: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
    for (const window of windows) window.record(now);
    return { admitted: true };
  }
}
