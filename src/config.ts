import { z } from 'zod';

/** Read once at startup; every later module receives typed values and never touches process.env. */
export interface Config {
  port: number;
  host: string;
  nodeEnv: string;
  logLevel: string;
  /** Absent: the gateway starts the embedded Clerk emulator (demo mode). */
  clerkSecretKey: string | undefined;
  clerkApiUrl: string;
  batchWindowMs: number;
  batchWindowMaxMs: number;
  maxInvitationsPerRequest: number;
  maxPendingInvitations: number;
  upstreamBulkPerHour: number;
  upstreamSinglePerHour: number;
  upstreamChannels: 'auto' | 'bulk' | 'single';
  upstreamTimeoutMs: number;
  requestTimeoutMs: number;
  redisUrl: string | undefined;
  rateLimitMax: number | undefined;
  rateLimitWindow: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const positiveInt = z.coerce.number().int().positive();
const windowPattern = /^\d+(ms|s|m|h|d)$/;

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).optional(),
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CLERK_SECRET_KEY: z.string().regex(/^sk_(test|live)_\S+$/, 'must look like sk_test_… or sk_live_…').optional(),
  CLERK_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.clerk.com'),
  BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(60_000).default(20),
  BATCH_WINDOW_MAX_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  MAX_INVITATIONS_PER_REQUEST: positiveInt.max(10_000).default(100),
  MAX_PENDING_INVITATIONS: positiveInt.default(10_000),
  UPSTREAM_BULK_PER_HOUR: positiveInt.default(25),
  UPSTREAM_SINGLE_PER_HOUR: positiveInt.default(100),
  UPSTREAM_CHANNELS: z.enum(['auto', 'bulk', 'single']).default('auto'),
  UPSTREAM_TIMEOUT_MS: positiveInt.max(300_000).default(10_000),
  REQUEST_TIMEOUT_MS: positiveInt.max(600_000).default(30_000),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  RATE_LIMIT_MAX: positiveInt.optional(),
  RATE_LIMIT_WINDOW: z.string().regex(windowPattern, 'must be a number and a unit: 500ms, 30s, 15m, 1h, 1d').optional(),
});

type Env = Record<string, string | undefined>;

/** Blank variables count as unset, so `FOO=` in a .env file falls back to the default. */
const withoutBlanks = (env: Env): Env =>
  Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));

/** Masks secrets so an error message can echo what was given without leaking it. */
const shown = (name: string, value: string | undefined) =>
  value === undefined ? 'unset' : /SECRET|KEY|TOKEN|PASSWORD/.test(name) ? '(hidden)' : JSON.stringify(value);

export function loadConfig(rawEnv: Env = process.env): Config {
  const env = withoutBlanks(rawEnv);
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        return `${name}=${shown(name, env[name])}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.BATCH_WINDOW_MAX_MS < e.BATCH_WINDOW_MS) {
    problems.push(`BATCH_WINDOW_MAX_MS=${e.BATCH_WINDOW_MAX_MS}: must be at least BATCH_WINDOW_MS (${e.BATCH_WINDOW_MS})`);
  }
  if (e.UPSTREAM_TIMEOUT_MS >= e.REQUEST_TIMEOUT_MS) {
    problems.push(`UPSTREAM_TIMEOUT_MS=${e.UPSTREAM_TIMEOUT_MS}: must be below REQUEST_TIMEOUT_MS (${e.REQUEST_TIMEOUT_MS}) so a slow Clerk call can still be answered`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port: e.PORT,
    host: e.HOST ?? (e.CLERK_SECRET_KEY ? '0.0.0.0' : '127.0.0.1'),
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    clerkSecretKey: e.CLERK_SECRET_KEY,
    clerkApiUrl: e.CLERK_API_URL,
    batchWindowMs: e.BATCH_WINDOW_MS,
    batchWindowMaxMs: e.BATCH_WINDOW_MAX_MS,
    maxInvitationsPerRequest: e.MAX_INVITATIONS_PER_REQUEST,
    maxPendingInvitations: e.MAX_PENDING_INVITATIONS,
    upstreamBulkPerHour: e.UPSTREAM_BULK_PER_HOUR,
    upstreamSinglePerHour: e.UPSTREAM_SINGLE_PER_HOUR,
    upstreamChannels: e.UPSTREAM_CHANNELS,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    redisUrl: e.REDIS_URL,
    rateLimitMax: e.RATE_LIMIT_MAX,
    rateLimitWindow: e.RATE_LIMIT_WINDOW,
  };
}
