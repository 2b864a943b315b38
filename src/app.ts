import { createAuthenticator } from './auth/authenticator.ts';
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

function warnAboutAuth(config: Config, logger: Logger): void {
  if (config.nodeEnv === 'production' && config.clerkAuthorizedParties.length === 0) {
    logger.warn('CLERK_AUTHORIZED_PARTIES is unset: session tokens minted for any origin of this Clerk instance are accepted');
  }
  if (config.corsOrigins.includes('*')) logger.warn('CORS_ORIGINS=*: any site may call the gateway with a header credential');
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
  const authenticate = createAuthenticator({
    apiKeys: config.apiKeys,
    clerk: {
      jwtKey: config.clerkJwtKey,
      secretKey: clerk.secretKey,
      apiUrl: clerk.apiUrl,
      timeoutMs: config.upstreamTimeoutMs,
      authorizedParties: config.clerkAuthorizedParties,
    },
    policy: { roles: config.inviterRoles, permissions: config.inviterPermissions, machines: config.inviterMachines },
  });
  warnAboutAuth(config, logger);
  const yoga = createGatewayYoga({ config, services: gateway.services, logger, callerLimits, notReadyReasons, authenticate, graphiqlHeaders });
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
