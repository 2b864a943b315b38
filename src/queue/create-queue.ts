import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Family, InvitationFamilies } from '../batcher/families.ts';
import type { UpstreamBudget } from '../budget/types.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { GatewayMetrics } from '../metrics.ts';
import { BullMqJobSource } from './bullmq-job-source.ts';
import { InvitationQueue } from './invitation-queue.ts';
import { MemoryJobSource } from './memory-job-source.ts';
import { MemoryJobStore } from './memory-job-store.ts';
import { createProgressPubSub } from './progress.ts';
import { RedisJobStore } from './redis-job-store.ts';

/** The batcher's backstop answers this long after an item's deadline. */
const BACKSTOP_MS = 1_000;

export interface CreateQueueOptions {
  config: Config;
  logger: Logger;
  redis: Redis | undefined;
  /** The queue is per Clerk instance, like its budget: keys are named by a hash of the key. */
  secretKey: string;
  families: InvitationFamilies;
  budget: UpstreamBudget;
  orgBudget(organizationId: string): UpstreamBudget;
  clock?: Clock;
  metrics: GatewayMetrics;
}

/** The queue in Redis and BullMQ when REDIS_URL is set; in this process (lost on restart) otherwise. */
export function createInvitationQueue({ config, logger, redis, secretKey, families, budget, orgBudget, clock, metrics }: CreateQueueOptions): InvitationQueue {
  const instance = createHash('sha256').update(secretKey).digest('hex').slice(0, 16);
  const durable = config.redis.url !== undefined && redis !== undefined;
  const progress = createProgressPubSub(config.redis.url);
  const queue = new InvitationQueue({
    store: durable ? new RedisJobStore(redis, `cig:queue:{${instance}}:`) : new MemoryJobStore(),
    source: durable
      ? new BullMqJobSource({ redisUrl: config.redis.url!, queueName: `invitations-${instance}`, lockMs: config.queue.lockMs, logger })
      : new MemoryJobSource(),
    pubsub: progress.pubsub,
    lane: (family) => families.lane(family),
    budget: (family: Family) => (family.kind === 'instance' ? budget : orgBudget(family.organizationId)),
    limits: (family: Family) =>
      family.kind === 'instance'
        ? { bulkPerHour: config.upstream.bulkPerHour, singlePerHour: config.upstream.singlePerHour }
        : { bulkPerHour: config.upstream.orgBulkPerHour, singlePerHour: config.upstream.orgSinglePerHour },
    policy: config.upstream.channels,
    validation: { allowedRedirectOrigins: config.invitations.allowedRedirectOrigins },
    maxItemsPerJob: config.queue.maxPerJob,
    maxQueuedItems: config.queue.maxQueued,
    windowMs: config.upstream.budgetWindowMs,
    orphanAfterMs: config.server.requestTimeoutMs + config.upstream.timeoutMs + BACKSTOP_MS,
    fillWaitMs: config.batching.windowMaxMs,
    now: clock && (() => clock.now()),
    logger,
    onSettled: (outcomes, family) => metrics.outcomes(outcomes, family.kind),
    onClose: progress.close,
  });
  queue.start();
  return queue;
}
