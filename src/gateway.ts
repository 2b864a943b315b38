import type { Redis } from 'ioredis';
import { InvitationBatcher } from './batcher/batcher.ts';
import { BatchDispatcher } from './batcher/dispatcher.ts';
import { createBudget, createGeneralBudget, defaultGeneralPer10s, resolveGeneral } from './budget/index.ts';
import type { UpstreamBudget } from './budget/types.ts';
import type { Clock } from './clock.ts';
import { GeneralLimitedUpstream } from './clerk/general-limit.ts';
import { ClerkUpstream, type Upstream } from './clerk/upstream.ts';
import type { Config } from './config.ts';
import type { GatewayServices } from './context.ts';
import { MemoryIdempotencyStore, RedisIdempotencyStore } from './invitations/idempotency.ts';
import { createGuardRedis } from './redis.ts';
import type { Logger } from './logger.ts';
import { GatewayMetrics } from './metrics.ts';
import { composeObservers, logObserver } from './batcher/log-observer.ts';

export interface GatewayDeps {
  config: Config;
  logger: Logger;
  /** Where Clerk is: the real API or an emulator. */
  clerk: { secretKey: string; apiUrl: string };
  /** Replaces the Clerk client (benchmarks); tests use the emulator instead. */
  upstream?: Upstream;
  /** The budget's clock; simulations and tests run hours in moments with it. */
  clock?: Clock;
}

export interface Gateway {
  services: GatewayServices;
  redis: Redis | undefined;
  metrics: GatewayMetrics;
  close(): Promise<void>;
}

/** Builds the long-lived parts: one upstream client, one budget, one batcher per process. */
export function createGatewayServices({ config, logger, clerk, upstream: given, clock }: GatewayDeps): Gateway {
  const redis = config.redisUrl ? createGuardRedis(config.redisUrl) : undefined;
  redis?.on('error', (err) => logger.warn({ err: { message: err.message } }, 'redis connection problem'));

  const general = {
    clerkPer10s: config.upstreamGeneralPer10s ?? defaultGeneralPer10s(clerk.secretKey),
    reservePercent: config.upstreamGeneralReservePercent,
  };
  const generalBudget = createGeneralBudget({ redis, secretKey: clerk.secretKey, ...general, clock });
  // A replacement client (benchmarks) is not Clerk and has no general limit to spend.
  const upstream =
    given ??
    new GeneralLimitedUpstream(new ClerkUpstream({ ...clerk, timeoutMs: config.upstreamTimeoutMs }), {
      budget: generalBudget,
      // A fifth of the gateway's share only settles unknown outcomes; admin reads leave it alone.
      settlingReserve: Math.ceil(resolveGeneral(general).limit / 5),
      now: clock && (() => clock.now()),
      onStoreError: (err, what) => logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, `general budget: could not ${what}`),
    });
  const budget: UpstreamBudget = createBudget({
    redis,
    secretKey: clerk.secretKey,
    bulkPerHour: config.upstreamBulkPerHour,
    singlePerHour: config.upstreamSinglePerHour,
    // Clerk counts a call when it arrives, up to the upstream timeout after we record it.
    marginMs: config.upstreamTimeoutMs,
    clock,
  });
  let batcherRef: InvitationBatcher | undefined;
  const metrics = new GatewayMetrics({ budget, pending: () => batcherRef?.pending ?? 0 });
  const dispatcher = new BatchDispatcher({
    upstream,
    budget,
    policy: config.upstreamChannels,
    bulkPerHour: config.upstreamBulkPerHour,
    singlePerHour: config.upstreamSinglePerHour,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    now: clock && (() => clock.now()),
    observer: composeObservers(metrics.observer, logObserver(logger)),
  });
  const batcher = new InvitationBatcher({
    send: (items, deadline) => dispatcher.send(items, deadline),
    requestTimeoutMs: config.requestTimeoutMs,
    windowMs: config.batchWindowMs,
    // An item must still have time for its call and one more (isolation, a resend) after the wait.
    windowMaxMs: Math.max(config.batchWindowMs, Math.min(config.batchWindowMaxMs, config.requestTimeoutMs - 2 * config.upstreamTimeoutMs)),
    scarcity: () => (config.upstreamChannels === 'single' ? 0 : dispatcher.scarcity()),
    blocked: { known: () => dispatcher.blockedUntil() > 0, check: () => dispatcher.checkBlocked() },
    // A later asker of a busy address still needs time for a call of its own after waiting.
    minCallMs: config.upstreamTimeoutMs,
    maxPending: config.maxPendingInvitations,
    onBatch: (size, waitMs) => metrics.batch(size, waitMs),
  });
  batcherRef = batcher;
  const services: GatewayServices = {
    batcher,
    upstream,
    budget,
    generalBudget,
    limits: {
      maxInvitationsPerRequest: config.maxInvitationsPerRequest,
      bulkPerHour: config.upstreamBulkPerHour,
      singlePerHour: config.upstreamSinglePerHour,
      requestTimeoutMs: config.requestTimeoutMs,
    },
    idempotency: redis ? new RedisIdempotencyStore(redis) : new MemoryIdempotencyStore(),
    metrics,
    validation: { allowedRedirectOrigins: config.allowedRedirectOrigins },
    recover: (items, since) => dispatcher.recover(items, since, Date.now() + config.requestTimeoutMs),
  };
  return {
    services,
    redis,
    metrics,
    async close() {
      await batcher.drain();
      await budget.close();
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
