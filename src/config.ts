import { isIP } from 'node:net';
import { z } from 'zod';
import { type ApiKeyEntry, apiKeys, type CallerLimitDefault, commaList, defaultBatchWindowMaxMs, flag, jwtKey, MAX_RATE_LIMIT, origins, permissionKeys, positiveInt, rateLimitWindow, roleKeys, windowMs } from './config-fields.ts';
import { EXPECTED_FORMS, problem } from './config-messages.ts';

export type { ApiKeyEntry, CallerLimitDefault } from './config-fields.ts';

/** Read once at startup; every later module receives typed values and never touches process.env. */
export interface Config {
  /** The HTTP server and what every request gets. */
  server: {
    port: number;
    host: string;
    nodeEnv: string;
    logLevel: string;
    /** Browser origins allowed to call cross-origin; empty: same-origin only. `*`: any origin, no cookies. */
    corsOrigins: string[];
    graphiql: boolean;
    introspection: boolean;
    maxRequestBodyBytes: number;
    /** Every request is answered within this; batching and Clerk calls plan around it. */
    requestTimeoutMs: number;
  };
  telemetry: {
    /** Where spans go as OTLP/HTTP JSON; undefined: tracing is off and no SDK is started. */
    tracesUrl: string | undefined;
    serviceName: string;
  };
  clerk: {
    /** Absent: the gateway starts the embedded Clerk emulator (demo mode). */
    secretKey: string | undefined;
    apiUrl: string;
    /** Clerk's PEM public key (SPKI) for networkless token checks; absent: keys come from Clerk's JWKS. */
    jwtKey: string | undefined;
    /** Origins allowed in a session token's `azp`; empty: not checked. */
    authorizedParties: string[];
    /** Values naming this gateway in an M2M token's `aud`; a token with an `aud` must name one of them. */
    m2mAudience: string[];
  };
  /** Who may invite. */
  access: {
    /** Gateway API keys for tools; each has every inviter and admin right. */
    apiKeys: ApiKeyEntry[];
    /** Organization roles that may invite (any match grants). */
    inviterRoles: string[];
    /** Organization permissions that may invite (any match grants). */
    inviterPermissions: string[];
    /** Clerk machine ids (`mch_…`) whose M2M tokens may invite. */
    inviterMachines: string[];
    /** Organizations whose roles and permissions count; empty: any organization. */
    inviterOrgs: string[];
    /** Organization roles whose sessions may invite into their active organization. */
    orgInviterRoles: string[];
    /** Organization permissions whose sessions may invite into their active organization. */
    orgInviterPermissions: string[];
  };
  /** Limits on a GraphQL document. */
  query: {
    maxDepth: number;
    maxAliases: number;
    maxCost: number;
  };
  metrics: {
    /** Collect Prometheus metrics; where they are served is below. */
    enabled: boolean;
    /** A listener of its own serving /metrics; undefined: none. */
    port: number | undefined;
    host: string;
    /** Bearer token for /metrics; set: the public port serves /metrics to holders of it. */
    token: string | undefined;
    /** Operation names that get a series of their own besides the client's documents. */
    operationNames: string[];
  };
  invitations: {
    maxPerRequest: number;
    /** Origins an absolute `redirectUrl` may point to; paths are always allowed. */
    allowedRedirectOrigins: string[];
  };
  batching: {
    windowMs: number;
    windowMaxMs: number;
    /** Invitations waiting for a Clerk call, all lanes together, before new ones are refused. */
    maxPending: number;
  };
  /** Clerk as the gateway spends it. */
  upstream: {
    bulkPerHour: number;
    singlePerHour: number;
    /**
     * The window, in ms, that the `*PerHour` allowances apply to: an hour, as at Clerk. Shorter only
     * against an emulator set the same way, so tests and benchmarks run "an hour" in seconds.
     */
    budgetWindowMs: number;
    /** Clerk's hourly calls for organization invitations: bulk (50) and single (250). */
    orgBulkPerHour: number;
    orgSinglePerHour: number;
    /** Whether those allowances are per Clerk instance (the safe reading) or per organization. */
    orgBudgetScope: 'instance' | 'organization';
    channels: 'auto' | 'bulk' | 'single';
    timeoutMs: number;
    /** Clerk's general limit per 10 s; absent: 1000 for an sk_live_ key, 100 otherwise. */
    generalPer10s: number | undefined;
    /** Percent of the general limit left to the customer's own app. */
    generalReservePercent: number;
  };
  /** The createInvitations limit per caller. */
  callerLimits: {
    max: number | undefined;
    window: string | undefined;
    /** Clerk users' limit (RATE_LIMIT_SESSION_*); unset parts: the overall default. */
    session: CallerLimitDefault;
    /** Clerk machines' limit (RATE_LIMIT_MACHINE_*); unset parts: the overall default. */
    machine: CallerLimitDefault;
  };
  redis: {
    /** Shared state for replicas; absent: in-process state for one replica. */
    url: string | undefined;
  };
  /** Queued invitations (submitInvitations). */
  queue: {
    /** Items one job may carry. */
    maxPerJob: number;
    /** Items waiting in the whole queue (every caller and family) before submits are refused. */
    maxQueued: number;
    /** How long a replica holds a job without renewing; a dead replica's jobs move on after it. */
    lockMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z
    .string()
    .refine((v) => isIP(v) !== 0 || /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(v), 'not an IP address or host name')
    .optional(),
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // The standard OpenTelemetry variables; the base endpoint gets /v1/traces appended, as the spec says.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.literal('http/json', 'the gateway exports OTLP over HTTP as JSON only: set http/json or leave it unset').optional(),
  OTEL_SERVICE_NAME: z.string().regex(/^\S{1,255}$/, 'must be 1 to 255 characters without spaces').default('clerk-invitation-gateway'),
  CLERK_SECRET_KEY: z.string().regex(/^sk_(test|live)_\S+$/, 'must look like sk_test_… or sk_live_…').optional(),
  CLERK_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.clerk.com'),
  CLERK_JWT_KEY: jwtKey.optional(),
  CLERK_AUTHORIZED_PARTIES: origins.default([]),
  CLERK_M2M_AUDIENCE: commaList((item) => (/^\S{1,1024}$/.test(item) ? undefined : `"${item.slice(0, 64)}" is not an audience value (no spaces, at most 1024 characters)`)).default([]),
  INVITER_ROLES: roleKeys.default(['org:admin']),
  INVITER_PERMISSIONS: permissionKeys.default([]),
  ORG_INVITER_ROLES: roleKeys.default(['org:admin']),
  ORG_INVITER_PERMISSIONS: permissionKeys.default([]),
  INVITER_ORGS: commaList((item) => (/^org_\w+$/.test(item) ? undefined : `"${item}" is not a Clerk organization id like org_…`)).default([]),
  INVITER_MACHINES: commaList((item) => (/^mch_\w+$/.test(item) ? undefined : `"${item}" is not a Clerk machine id like mch_…`)).default([]),
  GATEWAY_API_KEYS: apiKeys.default([]),
  CORS_ORIGINS: z
    .string()
    .transform((v) => v.trim())
    .pipe(z.union([z.literal('*').transform(() => ['*']), origins]))
    .default([]),
  ALLOWED_REDIRECT_ORIGINS: origins.default([]),
  MAX_REQUEST_BODY_BYTES: positiveInt.min(1024).default(1_048_576),
  MAX_QUERY_DEPTH: positiveInt.max(100).default(8),
  MAX_QUERY_ALIASES: z.coerce.number().int().min(0).max(1000).default(10),
  MAX_QUERY_COST: positiveInt.default(1000),
  GRAPHIQL: flag.optional(),
  METRICS: flag.default(true),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z
    .string()
    .refine((v) => isIP(v) !== 0 || /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(v), 'not an IP address or host name')
    .default('127.0.0.1'),
  METRICS_TOKEN: z.string().regex(/^[\x21-\x7e]{16,512}$/, 'must be 16 to 512 printable characters without spaces').optional(),
  METRICS_OPERATION_NAMES: commaList((item) =>
    /^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(item) ? undefined : `"${item.slice(0, 40)}" is not a GraphQL operation name of at most 100 characters`,
  )
    .refine((items) => items.length <= 200, 'at most 200 names')
    .default([]),
  INTROSPECTION: flag.optional(),
  BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(60_000).default(20),
  BATCH_WINDOW_MAX_MS: z.coerce.number().int().min(0).max(60_000).optional(),
  MAX_INVITATIONS_PER_REQUEST: positiveInt.max(10_000).default(100),
  MAX_PENDING_INVITATIONS: positiveInt.default(10_000),
  UPSTREAM_BULK_PER_HOUR: positiveInt.default(25),
  UPSTREAM_SINGLE_PER_HOUR: positiveInt.default(100),
  UPSTREAM_BUDGET_WINDOW: rateLimitWindow.default('1h'),
  ORG_UPSTREAM_BULK_PER_HOUR: positiveInt.default(50),
  ORG_UPSTREAM_SINGLE_PER_HOUR: positiveInt.default(250),
  ORG_UPSTREAM_BUDGET_SCOPE: z.enum(['instance', 'organization']).default('instance'),
  UPSTREAM_CHANNELS: z.enum(['auto', 'bulk', 'single']).default('auto'),
  UPSTREAM_TIMEOUT_MS: positiveInt.max(300_000).default(10_000),
  UPSTREAM_GENERAL_PER_10S: positiveInt.max(1_000_000).optional(),
  UPSTREAM_GENERAL_RESERVE_PERCENT: z.coerce.number().int().min(0).max(90).default(50),
  REQUEST_TIMEOUT_MS: positiveInt.max(600_000).default(30_000),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  MAX_INVITATIONS_PER_JOB: positiveInt.max(100_000).default(10_000),
  MAX_QUEUED_INVITATIONS: positiveInt.max(100_000_000).default(100_000),
  QUEUE_LOCK_MS: positiveInt.min(1_000).max(600_000).default(30_000),
  RATE_LIMIT_MAX: positiveInt.max(MAX_RATE_LIMIT).optional(),
  RATE_LIMIT_WINDOW: rateLimitWindow.optional(),
  RATE_LIMIT_SESSION_MAX: positiveInt.max(MAX_RATE_LIMIT).optional(),
  RATE_LIMIT_SESSION_WINDOW: rateLimitWindow.optional(),
  RATE_LIMIT_MACHINE_MAX: positiveInt.max(MAX_RATE_LIMIT).optional(),
  RATE_LIMIT_MACHINE_WINDOW: rateLimitWindow.optional(),
});

/** Every variable the gateway reads. */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as (keyof typeof schema.shape)[];

type Env = Record<string, string | undefined>;

/** Blank variables count as unset, so `FOO=` in a .env file falls back to the default. */
const withoutBlanks = (env: Env): Env =>
  Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));

const HOUR_MS = 3_600_000;

/** Whether an API URL points at Clerk itself rather than an emulator or proxy. */
const isClerkHost = (url: string): boolean => {
  const host = new URL(url).hostname;
  return host === 'clerk.com' || host.endsWith('.clerk.com');
};

export function loadConfig(rawEnv: Env = process.env): Config {
  const env = withoutBlanks(rawEnv);
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        return problem(name, env[name], issue);
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.BATCH_WINDOW_MAX_MS !== undefined && e.BATCH_WINDOW_MAX_MS < e.BATCH_WINDOW_MS) {
    problems.push(`BATCH_WINDOW_MAX_MS=${e.BATCH_WINDOW_MAX_MS}: expected at least BATCH_WINDOW_MS (${e.BATCH_WINDOW_MS})`);
  }
  if (e.UPSTREAM_TIMEOUT_MS >= e.REQUEST_TIMEOUT_MS) {
    problems.push(`UPSTREAM_TIMEOUT_MS=${e.UPSTREAM_TIMEOUT_MS}: expected below REQUEST_TIMEOUT_MS (${e.REQUEST_TIMEOUT_MS}) so a slow Clerk call can still be answered`);
  }
  const budgetWindowMs = windowMs(e.UPSTREAM_BUDGET_WINDOW);
  if (budgetWindowMs < HOUR_MS && e.CLERK_SECRET_KEY && isClerkHost(e.CLERK_API_URL)) {
    // Clerk counts an hour: a shorter window would spend its allowance several times over and earn 429s.
    problems.push(
      `UPSTREAM_BUDGET_WINDOW=${JSON.stringify(e.UPSTREAM_BUDGET_WINDOW)}: shorter than Clerk's hour while CLERK_API_URL is Clerk (${new URL(e.CLERK_API_URL).host}); ` +
        `expected ${EXPECTED_FORMS['UPSTREAM_BUDGET_WINDOW']}, of at least 1h against Clerk`,
    );
  }
  const production = e.NODE_ENV === 'production';
  if (production && !e.CLERK_SECRET_KEY) {
    // Demo mode hands an API key to whoever opens GraphiQL; it has no place in production.
    problems.push(`CLERK_SECRET_KEY=unset: required when NODE_ENV=production (without it the gateway starts in demo mode with an embedded Clerk emulator); expected ${EXPECTED_FORMS['CLERK_SECRET_KEY']}`);
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    problems.push(`METRICS_PORT=${e.METRICS_PORT}: expected a port other than PORT (${e.PORT}), which serves the API`);
  }
  if (!e.METRICS && (e.METRICS_PORT !== undefined || e.METRICS_TOKEN !== undefined)) {
    problems.push(`METRICS=false: turns metrics off, yet ${e.METRICS_PORT !== undefined ? `METRICS_PORT=${e.METRICS_PORT}` : 'METRICS_TOKEN'} is set; expected METRICS=true, or neither set`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    server: {
      port: e.PORT,
      host: e.HOST ?? (e.CLERK_SECRET_KEY ? '0.0.0.0' : '127.0.0.1'),
      nodeEnv: e.NODE_ENV,
      logLevel: e.LOG_LEVEL,
      corsOrigins: e.CORS_ORIGINS,
      graphiql: e.GRAPHIQL ?? !production,
      introspection: e.INTROSPECTION ?? !production,
      maxRequestBodyBytes: e.MAX_REQUEST_BODY_BYTES,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    },
    telemetry: {
      tracesUrl: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT && new URL('v1/traces', e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/*$/, '/')).href),
      serviceName: e.OTEL_SERVICE_NAME,
    },
    clerk: {
      secretKey: e.CLERK_SECRET_KEY,
      apiUrl: e.CLERK_API_URL,
      jwtKey: e.CLERK_JWT_KEY,
      authorizedParties: e.CLERK_AUTHORIZED_PARTIES,
      m2mAudience: e.CLERK_M2M_AUDIENCE,
    },
    access: {
      apiKeys: e.GATEWAY_API_KEYS,
      inviterRoles: e.INVITER_ROLES,
      inviterPermissions: e.INVITER_PERMISSIONS,
      inviterMachines: e.INVITER_MACHINES,
      inviterOrgs: e.INVITER_ORGS,
      orgInviterRoles: e.ORG_INVITER_ROLES,
      orgInviterPermissions: e.ORG_INVITER_PERMISSIONS,
    },
    query: { maxDepth: e.MAX_QUERY_DEPTH, maxAliases: e.MAX_QUERY_ALIASES, maxCost: e.MAX_QUERY_COST },
    metrics: {
      enabled: e.METRICS,
      port: e.METRICS_PORT,
      host: e.METRICS_HOST,
      token: e.METRICS_TOKEN,
      operationNames: e.METRICS_OPERATION_NAMES,
    },
    invitations: { maxPerRequest: e.MAX_INVITATIONS_PER_REQUEST, allowedRedirectOrigins: e.ALLOWED_REDIRECT_ORIGINS },
    batching: {
      windowMs: e.BATCH_WINDOW_MS,
      windowMaxMs: e.BATCH_WINDOW_MAX_MS ?? defaultBatchWindowMaxMs(budgetWindowMs, e.BATCH_WINDOW_MS),
      maxPending: e.MAX_PENDING_INVITATIONS,
    },
    upstream: {
      bulkPerHour: e.UPSTREAM_BULK_PER_HOUR,
      singlePerHour: e.UPSTREAM_SINGLE_PER_HOUR,
      budgetWindowMs,
      orgBulkPerHour: e.ORG_UPSTREAM_BULK_PER_HOUR,
      orgSinglePerHour: e.ORG_UPSTREAM_SINGLE_PER_HOUR,
      orgBudgetScope: e.ORG_UPSTREAM_BUDGET_SCOPE,
      channels: e.UPSTREAM_CHANNELS,
      timeoutMs: e.UPSTREAM_TIMEOUT_MS,
      generalPer10s: e.UPSTREAM_GENERAL_PER_10S,
      generalReservePercent: e.UPSTREAM_GENERAL_RESERVE_PERCENT,
    },
    callerLimits: {
      max: e.RATE_LIMIT_MAX,
      window: e.RATE_LIMIT_WINDOW,
      session: { max: e.RATE_LIMIT_SESSION_MAX, window: e.RATE_LIMIT_SESSION_WINDOW },
      machine: { max: e.RATE_LIMIT_MACHINE_MAX, window: e.RATE_LIMIT_MACHINE_WINDOW },
    },
    redis: { url: e.REDIS_URL },
    queue: { maxPerJob: e.MAX_INVITATIONS_PER_JOB, maxQueued: e.MAX_QUEUED_INVITATIONS, lockMs: e.QUEUE_LOCK_MS },
  };
}
