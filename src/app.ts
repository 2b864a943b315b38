import { createAuthenticator } from './auth/authenticator.ts';
import type { Config } from './config.ts';
import { createGatewayServices, type Gateway } from './gateway.ts';
import { MemoryCallerLimitStore, RedisCallerLimitStore, type CallerLimitStore } from './limiter/index.ts';
import type { Logger } from './logger.ts';
import { createGatewayYoga, type GatewayYoga } from './server.ts';
import type { Upstream } from './clerk/upstream.ts';
import { UpstreamFailure } from './clerk/classify.ts';
import type { Clock } from './clock.ts';
import type { GatewayMetrics } from './metrics.ts';

export interface AppOptions {
  config: Config;
  logger: Logger;
  clerk: { secretKey: string; apiUrl: string };
  upstream?: Upstream;
  graphiqlHeaders?: Record<string, string>;
  clock?: Clock;
}

export interface App {
  yoga: GatewayYoga;
  gateway: Gateway;
  callerLimits: CallerLimitStore;
  /** Turns /readyz red and sends queued items without waiting out their batching window. */
  beginShutdown(): void;
  /** Waits for every batch sent to be answered, then closes Redis. */
  close(): Promise<void>;
}

function warnAboutAuth(config: Config, logger: Logger): void {
  if (config.nodeEnv === 'production' && config.clerkAuthorizedParties.length === 0) {
    logger.warn('CLERK_AUTHORIZED_PARTIES is unset: session tokens minted for any origin of this Clerk instance are accepted');
  }
  if (config.nodeEnv === 'production' && config.inviterOrgs.length === 0) {
    logger.warn('INVITER_ORGS is unset: an inviter role in any organization grants inviting; if users can create organizations, set it');
  }
  if (config.corsOrigins.includes('*')) logger.warn('CORS_ORIGINS=*: any site may call the gateway with a header credential');
}

function countRejections(store: CallerLimitStore, metrics: GatewayMetrics): CallerLimitStore {
  return {
    async hit(identity, request) {
      const result = await store.hit(identity, request);
      if (!result.allowed) metrics.callerRejections.inc();
      return result;
    },
  };
}

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

/** One gateway process: shared services plus the yoga server in front of them. */
export function createApp({ config, logger, clerk, upstream, graphiqlHeaders, clock }: AppOptions): App {
  const gateway = createGatewayServices({ config, logger, clerk, upstream, clock });
  const store = gateway.redis ? new RedisCallerLimitStore({ redis: gateway.redis }) : new MemoryCallerLimitStore();
  const callerLimits = countRejections(store, gateway.metrics);
  let closing = false;
  const clerkReachable = probeClerk(gateway.services.upstream);
  const notReadyReasons = async () => {
    // Shutting down answers at once: the load balancer must stop sending before anything else is checked.
    if (closing) return ['shutting down'];
    const reasons: string[] = [];
    if (gateway.redis && gateway.redis.status !== 'ready') reasons.push(`redis is ${gateway.redis.status}`);
    // The reason is named, not quoted: /readyz is open, and Clerk's error text is for the logs.
    const clerkProblem = await clerkReachable();
    if (clerkProblem) {
      logger.warn({ err: { message: clerkProblem } }, 'readiness: Clerk does not answer');
      reasons.push('clerk unreachable');
    }
    return reasons;
  };
  const authenticate = createAuthenticator({
    apiKeys: config.apiKeys,
    clerk: {
      jwtKey: config.clerkJwtKey,
      secretKey: clerk.secretKey,
      apiUrl: clerk.apiUrl,
      timeoutMs: config.upstreamTimeoutMs,
      authorizedParties: config.clerkAuthorizedParties,
      machineAudience: config.clerkM2mAudience,
    },
    policy: { roles: config.inviterRoles, permissions: config.inviterPermissions, machines: config.inviterMachines, orgs: config.inviterOrgs },
  });
  warnAboutAuth(config, logger);
  const yoga = createGatewayYoga({ config, services: gateway.services, logger, callerLimits, notReadyReasons, authenticate, graphiqlHeaders });
  return {
    yoga,
    gateway,
    callerLimits,
    beginShutdown() {
      closing = true;
      gateway.services.batcher.flush();
    },
    async close() {
      closing = true;
      await gateway.close();
    },
  };
}
