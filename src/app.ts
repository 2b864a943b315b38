import type { Redis } from 'ioredis';
import { createAuthenticator } from './auth/authenticator.ts';
import { InvitationFamilies } from './batcher/families.ts';
import { KnownInvitations } from './batcher/evidence.ts';
import { createLane } from './batcher/lanes.ts';
import { composeObservers, logObserver } from './batcher/log-observer.ts';
import { createBudget, createGeneralBudget, defaultGeneralPer10s, resolveGeneral } from './budget/index.ts';
import type { UpstreamBudget } from './budget/types.ts';
import { GeneralLimitedUpstream } from './clerk/general-limit.ts';
import { ClerkUpstream, type Upstream } from './clerk/upstream.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { GatewayServices } from './context.ts';
import { MemoryIdempotencyStore, RedisIdempotencyStore } from './invitations/idempotency.ts';
import { MemoryCallerLimitStore, RedisCallerLimitStore, type CallerLimitStore } from './limiter/index.ts';
import type { Logger } from './logger.ts';
import { GatewayMetrics } from './metrics.ts';
import { createClerkProbe, readiness } from './readiness.ts';
import { createGuardRedis } from './redis.ts';
import { createGatewayYoga, type GatewayYoga } from './server.ts';

/** How one gateway process is wired: `main.ts` runs it, `server.ts` is its yoga server and plugins. */
export interface AppOptions {
  config: Config;
  logger: Logger;
  /** Where Clerk is: the real API or an emulator. */
  clerk: { secretKey: string; apiUrl: string };
  /** Replaces the Clerk client (benchmarks); tests use the emulator instead. */
  upstream?: Upstream;
  graphiqlHeaders?: Record<string, string>;
  /** The budgets' clock; simulations and tests run hours in moments with it. */
  clock?: Clock;
}

export interface App {
  yoga: GatewayYoga;
  services: GatewayServices;
  redis: Redis | undefined;
  metrics: GatewayMetrics;
  callerLimits: CallerLimitStore;
  /** Turns /readyz red and sends queued items without waiting out their batching window. */
  beginShutdown(): void;
  /** Waits for every item asked for to be answered, then closes Redis. */
  close(): Promise<void>;
}

function warnAboutAuth(config: Config, logger: Logger): void {
  if (config.server.nodeEnv === 'production' && config.clerk.authorizedParties.length === 0) {
    logger.warn('CLERK_AUTHORIZED_PARTIES is unset: session tokens minted for any origin of this Clerk instance are accepted');
  }
  if (config.server.nodeEnv === 'production' && config.access.inviterOrgs.length === 0) {
    logger.warn('INVITER_ORGS is unset: an inviter role in any organization grants inviting; if users can create organizations, set it');
  }
  if (config.server.corsOrigins.includes('*')) logger.warn('CORS_ORIGINS=*: any site may call the gateway with a header credential');
}

function countRejections(store: CallerLimitStore, metrics: GatewayMetrics): CallerLimitStore {
  return {
    async hit(identity, request) {
      const result = await store.hit(identity, request);
      if (!result.allowed) metrics.callerRejections.inc();
      return result;
    },
    peek: (identity, request) => store.peek(identity, request),
  };
}

/**
 * Organization invitations have their own hourly calls at Clerk. Whether they count per instance or
 * per organization is not documented: ORG_UPSTREAM_BUDGET_SCOPE picks, per instance by default.
 */
function organizationBudgets({ redis, secretKey, config, clock }: { redis: Redis | undefined; secretKey: string; config: Config; clock?: Clock }) {
  const budgets = new Map<string, UpstreamBudget>();
  return {
    for(organizationId: string): UpstreamBudget {
      const scope = config.upstream.orgBudgetScope === 'instance' ? 'all' : organizationId;
      let budget = budgets.get(scope);
      if (!budget) {
        budget = createBudget({
          redis,
          secretKey,
          prefix: `cig:budget:org:${scope}:`,
          bulkPerHour: config.upstream.orgBulkPerHour,
          singlePerHour: config.upstream.orgSinglePerHour,
          windowMs: config.upstream.budgetWindowMs,
          marginMs: config.upstream.timeoutMs,
          clock,
        });
        budgets.set(scope, budget);
      }
      return budget;
    },
    async close() {
      await Promise.all([...budgets.values()].map((b) => b.close()));
    },
  };
}

/** The long-lived parts: one upstream client, budgets, and a batcher per invitation family. */
function createServices({ config, logger, clerk, upstream: given, clock }: AppOptions) {
  const redis = config.redis.url ? createGuardRedis(config.redis.url) : undefined;
  redis?.on('error', (err) => logger.warn({ err: { message: err.message } }, 'redis connection problem'));

  const general = {
    clerkPer10s: config.upstream.generalPer10s ?? defaultGeneralPer10s(clerk.secretKey),
    reservePercent: config.upstream.generalReservePercent,
  };
  const generalBudget = createGeneralBudget({ redis, secretKey: clerk.secretKey, ...general, clock });
  // A replacement client (benchmarks) is not Clerk and has no general limit to spend.
  const upstream =
    given ??
    new GeneralLimitedUpstream(new ClerkUpstream({ ...clerk, timeoutMs: config.upstream.timeoutMs }), {
      budget: generalBudget,
      // A fifth of the gateway's share only settles unknown outcomes; admin reads leave it alone.
      settlingReserve: Math.ceil(resolveGeneral(general).limit / 5),
      now: clock && (() => clock.now()),
      onStoreError: (err, what) => logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, `general budget: could not ${what}`),
    });
  const budget: UpstreamBudget = createBudget({
    redis,
    secretKey: clerk.secretKey,
    bulkPerHour: config.upstream.bulkPerHour,
    singlePerHour: config.upstream.singlePerHour,
    windowMs: config.upstream.budgetWindowMs,
    // Clerk counts a call when it arrives, up to the upstream timeout after we record it.
    marginMs: config.upstream.timeoutMs,
    clock,
  });
  let families: InvitationFamilies | undefined;
  const clerkProbe = createClerkProbe({ upstream, logger });
  const metrics = new GatewayMetrics({ budget, pending: () => families?.pending ?? 0, clerk: () => clerkProbe.check() });
  const settings = {
    policy: config.upstream.channels,
    upstreamTimeoutMs: config.upstream.timeoutMs,
    requestTimeoutMs: config.server.requestTimeoutMs,
    batchWindowMs: config.batching.windowMs,
    batchWindowMaxMs: config.batching.windowMaxMs,
    maxPending: config.batching.maxPending,
    now: clock && (() => clock.now()),
    observer: composeObservers(metrics.observer, logObserver(logger)),
    onBatch: (size: number, waitMs: number) => metrics.batch(size, waitMs),
    // Ids are unique across organizations: one bounded set serves every lane.
    known: new KnownInvitations(),
  };
  const instance = createLane(upstream, budget, { ...settings, bulkPerHour: config.upstream.bulkPerHour, singlePerHour: config.upstream.singlePerHour });
  const orgBudget = organizationBudgets({ redis, secretKey: clerk.secretKey, config, clock });
  families = new InvitationFamilies((family) => {
    if (family.kind === 'instance') return instance;
    const orgUpstream = upstream.forOrganization?.(family.organizationId);
    if (!orgUpstream) throw new Error('this Clerk client has no organizations');
    const limits = { bulkPerHour: config.upstream.orgBulkPerHour, singlePerHour: config.upstream.orgSinglePerHour };
    return createLane(orgUpstream, orgBudget.for(family.organizationId), { ...settings, ...limits });
  });
  const services: GatewayServices = {
    batcher: instance.batcher,
    families,
    upstream,
    budget,
    orgBudget: (organizationId) => orgBudget.for(organizationId),
    orgBudgetScope: config.upstream.orgBudgetScope,
    generalBudget,
    limits: { maxInvitationsPerRequest: config.invitations.maxPerRequest, requestTimeoutMs: config.server.requestTimeoutMs },
    idempotency: redis ? new RedisIdempotencyStore(redis) : new MemoryIdempotencyStore(),
    metrics,
    validation: { allowedRedirectOrigins: config.invitations.allowedRedirectOrigins },
    orgPolicy: { roles: config.access.orgInviterRoles, permissions: config.access.orgInviterPermissions },
    clerkReachability: () => clerkProbe.check(),
    recover: instance.recover,
  };
  return {
    services,
    redis,
    metrics,
    async close() {
      await families.drain();
      await budget.close();
      await orgBudget.close();
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** One gateway process: shared services plus the yoga server in front of them. */
export function createApp({ config, logger, clerk, upstream, graphiqlHeaders, clock }: AppOptions): App {
  const gateway = createServices({ config, logger, clerk, upstream, clock });
  const store = gateway.redis ? new RedisCallerLimitStore({ redis: gateway.redis }) : new MemoryCallerLimitStore();
  const callerLimits = countRejections(store, gateway.metrics);
  let closing = false;
  const notReadyReasons = readiness({ redis: gateway.redis, closing: () => closing });
  const authenticate = createAuthenticator({
    apiKeys: config.access.apiKeys,
    clerk: {
      jwtKey: config.clerk.jwtKey,
      secretKey: clerk.secretKey,
      apiUrl: clerk.apiUrl,
      timeoutMs: config.upstream.timeoutMs,
      authorizedParties: config.clerk.authorizedParties,
      machineAudience: config.clerk.m2mAudience,
    },
    policy: { roles: config.access.inviterRoles, permissions: config.access.inviterPermissions, machines: config.access.inviterMachines, orgs: config.access.inviterOrgs },
  });
  warnAboutAuth(config, logger);
  const yoga = createGatewayYoga({ config, services: gateway.services, logger, callerLimits, notReadyReasons, authenticate, graphiqlHeaders });
  return {
    yoga,
    services: gateway.services,
    redis: gateway.redis,
    metrics: gateway.metrics,
    callerLimits,
    beginShutdown() {
      closing = true;
      gateway.services.families.flush();
    },
    async close() {
      closing = true;
      await gateway.close();
    },
  };
}
