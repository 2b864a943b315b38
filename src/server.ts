import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Authenticate } from './auth/authenticator.ts';
import { authorizationCheck } from './auth/authorize-first.ts';
import { notAllowed } from './auth/rights.ts';
import { builder } from './builder.ts';
import { guardFields } from './field-guards.ts';
import type { Config } from './config.ts';
import type { Caller } from './auth/caller.ts';
import type { GatewayContext, GatewayServices } from './context.ts';
import { graphiqlDefaults } from './graphiql-example.ts';
import { callerLimitPolicy, callerLimitReader, rateLimitCheck, type CallerLimitStore } from './limiter/index.ts';
import { scrub, type Logger } from './logger.ts';
import { callerOf, useAuthentication } from './plugins/use-authentication.ts';
import { useCors } from './plugins/use-cors.ts';
import { useCsrfPrevention } from './plugins/use-csrf-prevention.ts';
import { useDisableIntrospection } from './plugins/use-disable-introspection.ts';
import { useGraphQLOverHttpStatus } from './plugins/use-graphql-over-http-status.ts';
import { useHealthChecks } from './plugins/use-health-checks.ts';
import { useOperationLimits } from './plugins/use-operation-limits.ts';
import { useTracing } from './plugins/use-tracing.ts';
import { useSingleCreateInvitations } from './plugins/use-single-create-invitations.ts';
import { useValueNestingLimit } from './plugins/use-value-nesting-limit.ts';
import { useMetrics } from './plugins/use-metrics.ts';
import { requestIdOf, useRequestId } from './plugins/use-request-id.ts';
import { useRequestLogging } from './plugins/use-request-logging.ts';
import { useRequestBodyLimit } from './plugins/use-request-body-limit.ts';
import { useScopeCacheRelease } from './plugins/use-scope-cache-release.ts';
import { recordRateLimit, useRateLimitHeaders } from './plugins/use-rate-limit-headers.ts';
import { exemptReplays } from './invitations/idempotency.ts';
import { exemptSubmitReplays } from './queue/submit-replays.ts';
import { schema } from './schema/index.ts';

export interface ServerOptions {
  config: Config;
  services: GatewayServices;
  logger: Logger;
  callerLimits: CallerLimitStore;
  notReadyReasons: () => Promise<string[]>;
  authenticate: Authenticate;
  /** Headers GraphiQL sends, e.g. the demo API key. */
  graphiqlHeaders?: Record<string, string>;
}

export type GatewayYoga = YogaServerInstance<Record<string, unknown>, GatewayContext>;

/**
 * yoga logs a failure by passing the Error itself; pino then copies its message into `msg` where the
 * logger's scrubbing never sees it, and an upstream error quoting a key would reach the log as is.
 */
function forYoga(logger: Logger) {
  const level =
    (name: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const [first] = args;
      if (first instanceof Error) logger[name]({ err: first }, scrub(first.message));
      else (logger[name] as (...values: unknown[]) => void).apply(logger, args);
    };
  return { debug: level('debug'), info: level('info'), warn: level('warn'), error: level('error') };
}

// Only reachable if a request skipped authentication, which the plugin order rules out; it holds no rights.
const NOBODY: Caller = { id: 'anonymous', kind: 'anonymous' };

/** Composes the yoga server; behaviour lives in the plugins and modules it names. */
export function createGatewayYoga(options: ServerOptions): GatewayYoga {
  const { config, services, logger, callerLimits, notReadyReasons, authenticate, graphiqlHeaders } = options;
  const callerOverride = callerLimitPolicy({ apiKeys: config.access.apiKeys, session: config.callerLimits.session, machine: config.callerLimits.machine });
  const createReplays = exemptReplays(services.idempotency);
  const submitReplays = exemptSubmitReplays(services.queue);
  const limitOptions = {
    store: callerLimits,
    identify: (context: GatewayContext) => context.caller.id,
    override: { max: config.callerLimits.max, window: config.callerLimits.window },
    callerOverride: (context: GatewayContext) => callerOverride(context.caller),
    // RATE_LIMIT_MAX / RATE_LIMIT_WINDOW are the invitation limit; the admin fields keep their own.
    // Organization invitations are invitations too: the same overrides and per-caller limits, counted apart.
    overrideFields: ['Mutation.createInvitations', 'Mutation.createOrganizationInvitations', 'Mutation.submitInvitations', 'Mutation.submitOrganizationInvitations'],
    exempt: (coordinate: string, args: Record<string, unknown>, context: GatewayContext) =>
      coordinate.startsWith('Mutation.submit') ? submitReplays(coordinate, args, context) : createReplays(coordinate, args, context),
    onResult: recordRateLimit,
  };
  const invitationLimit = callerLimitReader(schema, 'Mutation.createInvitations', limitOptions);
  const runScopes = (context: GatewayContext, scopes: Record<string, unknown>) => builder.runAuthScopes(context, scopes, () => notAllowed(context.caller));
  // One wrapper per guarded field: its scopes first, then the caller limit, so a caller without the right spends nothing.
  const guarded = guardFields<GatewayContext>(schema, (field, coordinate) => [
    authorizationCheck(field, coordinate, runScopes),
    rateLimitCheck(schema, field, coordinate, limitOptions),
  ]);
  return createYoga<Record<string, unknown>, GatewayContext>({
    schema: guarded,
    logging: forYoga(logger),
    graphiql: config.server.graphiql && {
      ...graphiqlDefaults(graphiqlHeaders),
      title: 'Clerk invitation gateway',
    },
    // GraphiQL's scripts come from this package, not a CDN: the page works offline and behind firewalls.
    // Loaded on the first page asked for: its scripts are tens of MB in memory, which a gateway
    // without GraphiQL (production) never needs.
    renderGraphiQL: (options) => import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => renderGraphiQL(options)),
    landingPage: config.server.graphiql,
    // useCors below replaces yoga's permissive default.
    cors: false,
    // useRequestBodyLimit below replaces yoga's limiter, which streams every body.
    maxRequestBodySize: false,
    // Never put stacks or original messages in answers, whatever NODE_ENV says; the log has them.
    maskedErrors: { isDev: false },
    context: ({ request }) => ({
      requestId: requestIdOf(request),
      caller: callerOf(request) ?? NOBODY,
      services,
      idempotencyKey: request.headers.get('idempotency-key') ?? undefined,
      invitationLimit,
    }),
    plugins: [
      // First, so the request span covers every other plugin's work.
      config.telemetry.tracesUrl !== undefined && useTracing(),
      useRequestId(),
      useRequestLogging({ logger }),
      useHealthChecks({ notReadyReasons }),
      config.metrics.enabled && useMetrics({ registry: services.metrics.registry, operationNames: config.metrics.operationNames, token: config.metrics.token }),
      useCors({ origins: config.server.corsOrigins }),
      useRateLimitHeaders({
        policies: {
          'Mutation.createInvitations': 'invitations',
          'Mutation.createOrganizationInvitations': 'organization-invitations',
          'Mutation.submitInvitations': 'queued-invitations',
          'Mutation.submitOrganizationInvitations': 'queued-organization-invitations',
        },
      }),
      // CSRF before authentication: a forged request's cookie is not even verified.
      useCsrfPrevention(),
      useAuthentication({ authenticate, logger }),
      // Before the armor limits, whose token counting happens inside the recursive parse.
      useValueNestingLimit(),
      useOperationLimits({
        maxDepth: config.query.maxDepth,
        maxAliases: config.query.maxAliases,
        maxCost: config.query.maxCost,
        blockFieldSuggestions: !config.server.introspection,
      }),
      useSingleCreateInvitations({ maxInvitationsPerRequest: config.invitations.maxPerRequest }),
      useScopeCacheRelease(),
      !config.server.introspection && useDisableIntrospection(),
      // Which error statuses reach the response depends on the media type the client accepts.
      useGraphQLOverHttpStatus(),
      // Last, where yoga's own limiter sat: after authentication and after the body parser is chosen.
      useRequestBodyLimit({ maxBytes: config.server.maxRequestBodyBytes }),
    ],
  });
}
