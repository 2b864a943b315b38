import { UpstreamFailure } from './clerk/classify.ts';
import { GeneralLimitRefusal } from './clerk/general-limit.ts';
import type { Upstream } from './clerk/upstream.ts';
import { scrub, type Logger } from './logger.ts';

/** What the gateway last learnt about Clerk answering; reported, never a reason to turn unready. */
export interface ClerkReachability {
  /** null until a probe has reached a verdict. */
  reachable: boolean | null;
  /** Epoch ms of the last probe that got a verdict. */
  lastCheckedAt: number | null;
  /** Why the last probe failed (scrubbed, bounded); null when Clerk answered. */
  lastError: string | null;
}

export interface ClerkProbeOptions {
  upstream: Upstream;
  logger: Logger;
  /** How long a verdict is reused; every check within it costs Clerk nothing. */
  cacheMs?: number;
  now?: () => number;
}

export interface ClerkProbe {
  /** The verdict, probing Clerk at most once per cache period however many ask (scrapes, status queries). */
  check(): Promise<ClerkReachability>;
}

/** Long enough that scrapes and status queries of every replica stay a trickle on Clerk's general limit. */
export const CLERK_PROBE_CACHE_MS = 15_000;
const MAX_ERROR_LENGTH = 200;

/**
 * Whether the cheapest Clerk call answers. The call spends the general allowance like any other list
 * call; when the gateway's own share refuses it, Clerk was not asked and the previous verdict stands.
 */
export function createClerkProbe({ upstream, logger, cacheMs = CLERK_PROBE_CACHE_MS, now = Date.now }: ClerkProbeOptions): ClerkProbe {
  let state: ClerkReachability = { reachable: null, lastCheckedAt: null, lastError: null };
  let startedAt = -Infinity;
  let last: Promise<ClerkReachability> = Promise.resolve(state);

  const settle = (reachable: boolean, error: string | null) => {
    if (state.reachable !== false && !reachable) logger.warn({ err: { message: error } }, 'Clerk does not answer');
    if (state.reachable === false && reachable) logger.info('Clerk answers again');
    state = { reachable, lastCheckedAt: now(), lastError: error };
    return state;
  };

  const probe = () =>
    upstream.list({ limit: 1, offset: 0 }).then(
      () => settle(true, null),
      (error: unknown) => {
        if (error instanceof GeneralLimitRefusal) return state;
        // A 429 is Clerk answering, only busy.
        if (error instanceof UpstreamFailure && error.info.kind === 'rate-limited') return settle(true, null);
        const message = error instanceof Error ? error.message : String(error);
        return settle(false, scrub(message).slice(0, MAX_ERROR_LENGTH));
      },
    );

  return {
    check() {
      if (now() - startedAt >= cacheMs) {
        startedAt = now();
        last = probe();
      }
      return last;
    },
  };
}

export interface ReadinessOptions {
  redis: { status: string } | undefined;
  closing: () => boolean;
}

/**
 * The reasons /readyz names when this replica should get no traffic; none when it is ready. Only what
 * is this replica's own counts: Clerk is shared by every replica, so a Clerk blip would take them all
 * out at once and turn a slow Clerk into a gateway answering nobody. Clerk's state is in gatewayStatus
 * and the gateway_clerk_reachable metric instead.
 */
export function readiness({ redis, closing }: ReadinessOptions): () => Promise<string[]> {
  return async () => {
    // Shutting down answers at once: the load balancer must stop sending before anything else is checked.
    if (closing()) return ['shutting down'];
    const reasons: string[] = [];
    if (redis && redis.status !== 'ready') reasons.push(`redis is ${redis.status}`);
    return reasons;
  };
}
