import { createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { EXPECTED_FORMS, problem } from './config-messages.ts';

/** A gateway API key as configured: the caller's name and the SHA-256 of the key, never the key. */
export interface ApiKeyEntry {
  name: string;
  /** Lower-case hex SHA-256 of the key. */
  sha256: string;
  /** This key's own createInvitations limit; absent: RATE_LIMIT_MAX / RATE_LIMIT_WINDOW. */
  limit?: { max: number; window: string };
}

/** Parts of a caller limit that replace the overall default; an absent part falls back to it. */
export interface CallerLimitDefault {
  max?: number;
  /** In the directive's notation: `500ms`, `30s`, `15m`, `1h`, `1d`. */
  window?: string;
}

/** Read once at startup; every later module receives typed values and never touches process.env. */
export interface Config {
  port: number;
  host: string;
  nodeEnv: string;
  logLevel: string;
  /** Where spans go as OTLP/HTTP JSON; undefined: tracing is off and no SDK is started. */
  otlpTracesUrl: string | undefined;
  otelServiceName: string;
  /** Absent: the gateway starts the embedded Clerk emulator (demo mode). */
  clerkSecretKey: string | undefined;
  clerkApiUrl: string;
  /** Clerk's PEM public key (SPKI) for networkless token checks; absent: keys come from Clerk's JWKS. */
  clerkJwtKey: string | undefined;
  /** Origins allowed in a session token's `azp`; empty: not checked. */
  clerkAuthorizedParties: string[];
  /** Values naming this gateway in an M2M token's `aud`; a token with an `aud` must name one of them. */
  clerkM2mAudience: string[];
  /** Organization roles that may invite (any match grants). */
  inviterRoles: string[];
  /** Organization permissions that may invite (any match grants). */
  inviterPermissions: string[];
  /** Organization roles whose sessions may invite into their active organization. */
  orgInviterRoles: string[];
  /** Organization permissions whose sessions may invite into their active organization. */
  orgInviterPermissions: string[];
  /** Clerk machine ids (`mch_…`) whose M2M tokens may invite. */
  inviterMachines: string[];
  /** Organizations whose roles and permissions count; empty: any organization. */
  inviterOrgs: string[];
  /** Gateway API keys for tools; each has every inviter and admin right. */
  apiKeys: ApiKeyEntry[];
  /** Browser origins allowed to call cross-origin; empty: same-origin only. `*`: any origin, no cookies. */
  corsOrigins: string[];
  /** Origins an absolute `redirectUrl` may point to; paths are always allowed. */
  allowedRedirectOrigins: string[];
  maxRequestBodyBytes: number;
  maxQueryDepth: number;
  maxQueryAliases: number;
  maxQueryCost: number;
  graphiql: boolean;
  /** Collect Prometheus metrics; where they are served is below. */
  metrics: boolean;
  /** A listener of its own serving /metrics; undefined: none. */
  metricsPort: number | undefined;
  metricsHost: string;
  /** Bearer token for /metrics; set: the public port serves /metrics to holders of it. */
  metricsToken: string | undefined;
  /** Operation names that get a series of their own besides the client's documents. */
  metricsOperationNames: string[];
  introspection: boolean;
  batchWindowMs: number;
  batchWindowMaxMs: number;
  maxInvitationsPerRequest: number;
  maxPendingInvitations: number;
  upstreamBulkPerHour: number;
  upstreamSinglePerHour: number;
  /**
   * The window, in ms, that the `*_PER_HOUR` allowances apply to: an hour, as at Clerk. Shorter only
   * against an emulator set the same way, so tests and benchmarks run "an hour" in seconds.
   */
  upstreamBudgetWindowMs: number;
  /** Clerk's hourly calls for organization invitations: bulk (50) and single (250). */
  orgUpstreamBulkPerHour: number;
  orgUpstreamSinglePerHour: number;
  /** Whether those allowances are per Clerk instance (the safe reading) or per organization. */
  orgUpstreamBudgetScope: 'instance' | 'organization';
  upstreamChannels: 'auto' | 'bulk' | 'single';
  upstreamTimeoutMs: number;
  /** Clerk's general limit per 10 s; absent: 1000 for an sk_live_ key, 100 otherwise. */
  upstreamGeneralPer10s: number | undefined;
  /** Percent of the general limit left to the customer's own app. */
  upstreamGeneralReservePercent: number;
  requestTimeoutMs: number;
  redisUrl: string | undefined;
  /** Items one queued job (submitInvitations) may carry. */
  maxInvitationsPerJob: number;
  /** How long a replica holds a queued job without renewing; a dead replica's jobs move on after it. */
  queueLockMs: number;
  rateLimitMax: number | undefined;
  rateLimitWindow: string | undefined;
  /** Clerk users' createInvitations limit (RATE_LIMIT_SESSION_*); unset parts: the overall default. */
  rateLimitSession: CallerLimitDefault;
  /** Clerk machines' createInvitations limit (RATE_LIMIT_MACHINE_*); unset parts: the overall default. */
  rateLimitMachine: CallerLimitDefault;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const positiveInt = z.coerce.number().int().positive();
const windowPattern = /^\d+(ms|s|m|h|d)$/;
const WINDOW_FORM = 'a number and a unit: 500ms, 30s, 15m, 1h, 1d';
/** A caller limit's window: the directive's `ms` notation, never zero. */
const rateLimitWindow = z
  .string()
  .regex(windowPattern, `must be ${WINDOW_FORM}`)
  .refine((v) => Number.parseInt(v, 10) > 0, 'must be longer than zero');
const MAX_RATE_LIMIT = 1_000_000_000;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** A window already matched by `windowPattern`, in ms. */
const windowMs = (window: string): number => {
  const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(window) as RegExpExecArray;
  return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
};
const HOUR_MS = UNIT_MS.h;
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** A comma list whose items each pass `check` (which returns the problem, or undefined). */
const commaList = (check: (item: string) => string | undefined) =>
  z.string().transform((value, ctx) => {
    const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
    for (const item of items) {
      const problem = check(item);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: value });
    }
    return items;
  });

const originProblem = (item: string): string | undefined => {
  let url: URL;
  try {
    url = new URL(item);
  } catch {
    return `"${item}" is not an origin like https://app.example.com`;
  }
  const bare = item.replace(/\/$/, '');
  if (!/^https?:$/.test(url.protocol) || url.origin !== bare) {
    return `"${item}" is not an origin like https://app.example.com (scheme, host and port only)`;
  }
  return undefined;
};
const origins = commaList(originProblem).transform((items) => items.map((item) => new URL(item).origin));

/** Clerk's PEM public key, given with real newlines or `\n` escapes (one-line env files). */
const jwtKey = z.string().transform((value, ctx) => {
  const pem = value.replace(/\\n/g, '\n').trim();
  try {
    const key = createPublicKey(pem);
    const details = key.asymmetricKeyDetails;
    // The SDK reads the modulus straight out of the PEM text, which only works for this key shape.
    if (key.asymmetricKeyType !== 'rsa' || details?.modulusLength !== 2048 || details.publicExponent !== 65537n) {
      throw new Error('not RSA-2048');
    }
    return key.export({ type: 'spki', format: 'pem' }).toString();
  } catch {
    ctx.issues.push({ code: 'custom', message: 'not an RSA-2048 public key in PEM form', input: value });
    return z.NEVER;
  }
});

const roleKeys = commaList((item) => (/^org:[\w:-]+$/.test(item) ? undefined : `"${item}" is not a Clerk role key like org:admin`));
const permissionKeys = commaList((item) =>
  /^org:[\w-]+:[\w-]+$/.test(item) ? undefined : `"${item}" is not a Clerk permission key like org:invitations:manage`,
);

const apiKeyName = /^[A-Za-z0-9._-]{1,64}$/;
const apiKeyEntry = /^([A-Za-z0-9._-]{1,64}):([0-9a-fA-F]{64})(?::(.*))?$/;
const apiKeyLimit = /^(\d+)\/(\d+(?:ms|s|m|h|d))$/;
const API_KEY_FORM = 'name:sha256-hex or name:sha256-hex:max/window (printf %s "$KEY" | sha256sum; e.g. import:<hex>:5000/1d)';

/** Why an entry's limit part is wrong, or undefined. Only a value that cannot be key material is echoed. */
const apiKeyLimitProblem = (name: string, limit: string): string | undefined => {
  const shown = /^[0-9a-z/]{1,24}$/.test(limit) ? ` "${limit}"` : '';
  const match = apiKeyLimit.exec(limit);
  const form = `max/window, max a whole number from 1 to ${MAX_RATE_LIMIT} and window ${WINDOW_FORM} (e.g. ${name}:<hex>:5000/1d)`;
  if (!match) return `entry "${name}": limit${shown} must be ${form}`;
  const max = Number(match[1]);
  if (max < 1 || max > MAX_RATE_LIMIT) return `entry "${name}": limit${shown} has max ${max}; it must be ${form}`;
  if (Number.parseInt(match[2] as string, 10) === 0) return `entry "${name}": limit${shown} has a zero window; it must be ${form}`;
  return undefined;
};

const apiKeys = commaList((item) => {
  const match = apiKeyEntry.exec(item);
  const name = item.split(':')[0] ?? '';
  if (!match) return `entry "${apiKeyName.test(name) ? name : '?'}:…" must be ${API_KEY_FORM}`;
  return match[3] === undefined ? undefined : apiKeyLimitProblem(name, match[3]);
}).transform((items, ctx) => {
  const entries = items.map((item): ApiKeyEntry => {
    const [, name, hash, limit] = apiKeyEntry.exec(item) as RegExpExecArray;
    const entry: ApiKeyEntry = { name: name as string, sha256: (hash as string).toLowerCase() };
    const parts = limit === undefined ? null : apiKeyLimit.exec(limit);
    if (parts) entry.limit = { max: Number(parts[1]), window: parts[2] as string };
    return entry;
  });
  const names = entries.map((e) => e.name);
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  if (repeated.length > 0) ctx.issues.push({ code: 'custom', message: `names must be unique (repeated: ${repeated.join(', ')})`, input: '' });
  return entries;
});

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
  BATCH_WINDOW_MAX_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
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
  if (e.BATCH_WINDOW_MAX_MS < e.BATCH_WINDOW_MS) {
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
    port: e.PORT,
    host: e.HOST ?? (e.CLERK_SECRET_KEY ? '0.0.0.0' : '127.0.0.1'),
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    otlpTracesUrl: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT && new URL('v1/traces', e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/*$/, '/')).href),
    otelServiceName: e.OTEL_SERVICE_NAME,
    clerkSecretKey: e.CLERK_SECRET_KEY,
    clerkApiUrl: e.CLERK_API_URL,
    clerkJwtKey: e.CLERK_JWT_KEY,
    clerkAuthorizedParties: e.CLERK_AUTHORIZED_PARTIES,
    clerkM2mAudience: e.CLERK_M2M_AUDIENCE,
    inviterRoles: e.INVITER_ROLES,
    inviterPermissions: e.INVITER_PERMISSIONS,
    orgInviterRoles: e.ORG_INVITER_ROLES,
    orgInviterPermissions: e.ORG_INVITER_PERMISSIONS,
    inviterMachines: e.INVITER_MACHINES,
    inviterOrgs: e.INVITER_ORGS,
    apiKeys: e.GATEWAY_API_KEYS,
    corsOrigins: e.CORS_ORIGINS,
    allowedRedirectOrigins: e.ALLOWED_REDIRECT_ORIGINS,
    maxRequestBodyBytes: e.MAX_REQUEST_BODY_BYTES,
    maxQueryDepth: e.MAX_QUERY_DEPTH,
    maxQueryAliases: e.MAX_QUERY_ALIASES,
    maxQueryCost: e.MAX_QUERY_COST,
    graphiql: e.GRAPHIQL ?? !production,
    metrics: e.METRICS,
    metricsPort: e.METRICS_PORT,
    metricsHost: e.METRICS_HOST,
    metricsToken: e.METRICS_TOKEN,
    metricsOperationNames: e.METRICS_OPERATION_NAMES,
    introspection: e.INTROSPECTION ?? !production,
    batchWindowMs: e.BATCH_WINDOW_MS,
    batchWindowMaxMs: e.BATCH_WINDOW_MAX_MS,
    maxInvitationsPerRequest: e.MAX_INVITATIONS_PER_REQUEST,
    maxPendingInvitations: e.MAX_PENDING_INVITATIONS,
    upstreamBulkPerHour: e.UPSTREAM_BULK_PER_HOUR,
    upstreamSinglePerHour: e.UPSTREAM_SINGLE_PER_HOUR,
    upstreamBudgetWindowMs: budgetWindowMs,
    orgUpstreamBulkPerHour: e.ORG_UPSTREAM_BULK_PER_HOUR,
    orgUpstreamSinglePerHour: e.ORG_UPSTREAM_SINGLE_PER_HOUR,
    orgUpstreamBudgetScope: e.ORG_UPSTREAM_BUDGET_SCOPE,
    upstreamChannels: e.UPSTREAM_CHANNELS,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    upstreamGeneralPer10s: e.UPSTREAM_GENERAL_PER_10S,
    upstreamGeneralReservePercent: e.UPSTREAM_GENERAL_RESERVE_PERCENT,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    redisUrl: e.REDIS_URL,
    maxInvitationsPerJob: e.MAX_INVITATIONS_PER_JOB,
    queueLockMs: e.QUEUE_LOCK_MS,
    rateLimitMax: e.RATE_LIMIT_MAX,
    rateLimitWindow: e.RATE_LIMIT_WINDOW,
    rateLimitSession: { max: e.RATE_LIMIT_SESSION_MAX, window: e.RATE_LIMIT_SESSION_WINDOW },
    rateLimitMachine: { max: e.RATE_LIMIT_MACHINE_MAX, window: e.RATE_LIMIT_MACHINE_WINDOW },
  };
}
