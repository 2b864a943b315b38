import type { Config } from './config.ts';
import { createGatewayServices, type Gateway } from './gateway.ts';
import { MemoryCallerLimitStore, RedisCallerLimitStore, type CallerLimitStore } from './limiter/index.ts';
import type { Logger } from './logger.ts';
import { createGatewayYoga, type GatewayYoga } from './server.ts';
import type { Upstream } from './clerk/upstream.ts';

export interface AppOptions {
  config: Config;
  logger: Logger;
  clerk: { secretKey: string; apiUrl: string };
  upstream?: Upstream;
  graphiqlHeaders?: Record<string, string>;
}

export interface App {
  yoga: GatewayYoga;
  gateway: Gateway;
  callerLimits: CallerLimitStore;
  /** Turns /readyz red, answers what is in flight, flushes the batcher and closes Redis. */
  close(): Promise<void>;
}

/** One gateway process: shared services plus the yoga server in front of them. */
export function createApp({ config, logger, clerk, upstream, graphiqlHeaders }: AppOptions): App {
  const gateway = createGatewayServices({ config, logger, clerk, upstream });
  const callerLimits = gateway.redis ? new RedisCallerLimitStore({ redis: gateway.redis }) : new MemoryCallerLimitStore();
  let closing = false;
  const notReadyReasons = async () => {
    const reasons: string[] = [];
    if (closing) reasons.push('shutting down');
    if (gateway.redis && gateway.redis.status !== 'ready') reasons.push(`redis is ${gateway.redis.status}`);
    return reasons;
  };
  const yoga = createGatewayYoga({ config, services: gateway.services, logger, callerLimits, notReadyReasons, graphiqlHeaders });
  return {
    yoga,
    gateway,
    callerLimits,
    async close() {
      closing = true;
      await gateway.close();
    },
  };
}
