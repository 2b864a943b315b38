import { UpstreamFailure } from './clerk/classify.ts';
import type { Upstream } from './clerk/upstream.ts';
import type { Logger } from './logger.ts';

/**
 * A 429 (from Clerk, or the gateway's own general budget refusing first) shows Clerk is there, only
 * busy; turning every replica unready for it would take the gateway down whenever the allowance runs out.
 */
const busyNotDown = (error: unknown) => error instanceof UpstreamFailure && error.info.kind === 'rate-limited';

/**
 * Whether the cheapest Clerk call answers; remembered for a few seconds so probes cannot flood Clerk.
 * The call spends the general allowance like any other list call.
 */
function probeClerk(upstream: Upstream, cacheMs = 5_000) {
  let checkedAt = -Infinity;
  let last: Promise<string | undefined> = Promise.resolve(undefined);
  return () => {
    if (performance.now() - checkedAt > cacheMs) {
      checkedAt = performance.now();
      last = upstream.list({ limit: 1, offset: 0 }).then(
        () => undefined,
        (error: Error) => (busyNotDown(error) ? undefined : error.message),
      );
    }
    return last;
  };
}

export interface ReadinessOptions {
  upstream: Upstream;
  redis: { status: string } | undefined;
  logger: Logger;
  closing: () => boolean;
}

/** The reasons /readyz names when this replica should get no traffic; none when it is ready. */
export function readiness({ upstream, redis, logger, closing }: ReadinessOptions): () => Promise<string[]> {
  const clerkReachable = probeClerk(upstream);
  return async () => {
    // Shutting down answers at once: the load balancer must stop sending before anything else is checked.
    if (closing()) return ['shutting down'];
    const reasons: string[] = [];
    if (redis && redis.status !== 'ready') reasons.push(`redis is ${redis.status}`);
    // The reason is named, not quoted: /readyz is open, and Clerk's error text is for the logs.
    const clerkProblem = await clerkReachable();
    if (clerkProblem) {
      logger.warn({ err: { message: clerkProblem } }, 'readiness: Clerk does not answer');
      reasons.push('clerk unreachable');
    }
    return reasons;
  };
}
