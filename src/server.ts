import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.ts';
import type { GatewayContext, GatewayServices } from './context.ts';
import { GRAPHIQL_EXAMPLE } from './graphiql-example.ts';
import { applyRateLimits, type CallerLimitStore } from './limiter/index.ts';
import type { Logger } from './logger.ts';
import { useHealthChecks } from './plugins/use-health-checks.ts';
import { requestIdOf, useRequestId } from './plugins/use-request-id.ts';
import { schema } from './schema/index.ts';

export interface ServerOptions {
  config: Config;
  services: GatewayServices;
  logger: Logger;
  callerLimits: CallerLimitStore;
  notReadyReasons: () => Promise<string[]>;
  /** Headers GraphiQL sends, e.g. the demo API key. */
  graphiqlHeaders?: Record<string, string>;
}

export type GatewayYoga = YogaServerInstance<Record<string, unknown>, GatewayContext>;

/** Composes the yoga server; behaviour lives in the plugins and modules it names. */
export function createGatewayYoga({ config, services, logger, callerLimits, notReadyReasons, graphiqlHeaders }: ServerOptions): GatewayYoga {
  const limited = applyRateLimits(schema, {
    store: callerLimits,
    identify: (context: GatewayContext) => context.caller.id,
    override: { max: config.rateLimitMax, window: config.rateLimitWindow },
  });
  return createYoga<Record<string, unknown>, GatewayContext>({
    schema: limited,
    logging: logger,
    graphiql: { defaultQuery: GRAPHIQL_EXAMPLE, title: 'Clerk invitation gateway', headers: graphiqlHeaders ? JSON.stringify(graphiqlHeaders) : undefined },
    context: ({ request }) => ({
      requestId: requestIdOf(request),
      caller: { id: `ip:${request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() || 'local'}`, kind: 'anonymous' },
      services,
    }),
    plugins: [useRequestId(), useHealthChecks({ notReadyReasons })],
  });
}
