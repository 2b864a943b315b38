import { createPubSub } from 'graphql-yoga';
import { lazyModule } from '../lazy-module.ts';
import { ioredis } from '../redis.ts';
import type { JobMeta } from './types.ts';

const redisEventTarget = lazyModule<typeof import('@graphql-yoga/redis-event-target')>('@graphql-yoga/redis-event-target');

export type ProgressPubSub = ReturnType<typeof createProgressPubSub>['pubsub'];

/**
 * Job updates for `invitationJobProgress`: through Redis pub/sub when replicas share one, so a watcher
 * on any replica hears every replica's progress; in this process otherwise.
 */
export function createProgressPubSub(redisUrl: string | undefined) {
  if (!redisUrl) return { pubsub: createPubSub<{ invitationJobProgress: [id: string, meta: JobMeta] }>(), close: async () => {} };
  const connect = () => {
    const redis = new (ioredis().Redis)(redisUrl, { retryStrategy: (times) => Math.min(100 * times, 2000) });
    redis.on('error', () => {});
    return redis;
  };
  const publishClient = connect();
  const subscribeClient = connect();
  const pubsub = createPubSub<{ invitationJobProgress: [id: string, meta: JobMeta] }>({
    eventTarget: redisEventTarget().createRedisEventTarget({ publishClient, subscribeClient }),
  });
  return {
    pubsub,
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
