/**
 * Per-instance sliding-window limits. Clerk documents the invitation limits as requests per hour per
 * instance (the window can be shortened, `limits.windowMs`, so tests run an hour in seconds) (for organization invitations the scope is not documented) and blocks with `429` plus
 * `Retry-After` seconds; a log of admitted calls gives an exact "seconds until the next call is
 * admitted" for that header.
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

const NUMERIC_DEFAULTS = { bulkPerHour: 25, singlePerHour: 100, orgBulkPerHour: 50, orgSinglePerHour: 250, windowMs: HOUR_MS };
const SCOPES = ['instance', 'organization'] as const;

export type ResolvedLimits = typeof NUMERIC_DEFAULTS &
  Pick<EmulatorLimits, 'generalPer10s'> & { orgLimitScope: (typeof SCOPES)[number] };

/** Validates limit options up front so a typo fails at start-up, not as a surprise 429. */
export function resolveLimits(limits: EmulatorLimits = {}): ResolvedLimits {
  const given = Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
  const resolved = { ...NUMERIC_DEFAULTS, orgLimitScope: 'instance', ...given } as ResolvedLimits;
  for (const [name, value] of Object.entries(resolved)) {
    if (name === 'orgLimitScope') {
      if (!(SCOPES as readonly unknown[]).includes(value)) {
        throw new RangeError(`limits.orgLimitScope must be one of ${SCOPES.join(', ')}, got ${String(value)}`);
      }
    } else if (value !== undefined && (!Number.isInteger(value) || (value as number) < 1)) {
      throw new RangeError(`limits.${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return resolved;
}

/**
 * The limits of one instance: one window per invitation channel plus the optional general one. The
 * organization invitation windows are one pair per instance, or one pair per organization when
 * `orgLimitScope` is `organization` (Clerk's docs do not say which).
 */
export class InstanceLimiter {
  private readonly bulk: SlidingWindow;
  private readonly single: SlidingWindow;
  private readonly general: SlidingWindow | undefined;
  private readonly orgWindows = new Map<string, { bulk: SlidingWindow; single: SlidingWindow }>();

  constructor(private readonly limits: ResolvedLimits) {
    this.bulk = new SlidingWindow(limits.bulkPerHour, limits.windowMs);
    this.single = new SlidingWindow(limits.singlePerHour, limits.windowMs);
    this.general = limits.generalPer10s ? new SlidingWindow(limits.generalPer10s, 10_000) : undefined;
  }

  private orgPair(organizationId: string | undefined) {
    const key = this.limits.orgLimitScope === 'organization' ? `org:${organizationId ?? ''}` : 'instance';
    let pair = this.orgWindows.get(key);
    if (!pair) {
      pair = {
        bulk: new SlidingWindow(this.limits.orgBulkPerHour, this.limits.windowMs),
        single: new SlidingWindow(this.limits.orgSinglePerHour, this.limits.windowMs),
      };
      this.orgWindows.set(key, pair);
    }
    return pair;
  }

  private channel(route: RouteKind, organizationId: string | undefined): SlidingWindow | undefined {
    if (route === 'bulk') return this.bulk;
    if (route === 'single') return this.single;
    if (route === 'org-bulk') return this.orgPair(organizationId).bulk;
    if (route === 'org-single') return this.orgPair(organizationId).single;
    return undefined;
  }

  /**
   * Admits and counts the call, or says how long to wait. A call refused here is not counted:
   * counting refusals would keep a retrying client blocked past the `Retry-After` it was given.
   */
  admit(route: RouteKind, now: number, organizationId?: string): LimitDecision {
    const windows = [this.channel(route, organizationId), route === 'jwks' ? undefined : this.general].filter(
      (w): w is SlidingWindow => w !== undefined,
    );
    const waitMs = Math.max(0, ...windows.map((w) => w.waitMs(now)));
    if (waitMs > 0) return { admitted: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
    for (const window of windows) window.record(now);
    return { admitted: true };
  }
}
