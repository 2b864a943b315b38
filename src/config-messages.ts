/**
 * Configuration error messages: `NAME=value: expected <form>`. A zod message ("expected number,
 * received NaN", "Invalid URL") names neither the variable nor what would have been right.
 */

const integer = (min: number, max?: number) => (max === undefined ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`);
const originList = 'a comma-separated list of origins like https://app.example.com (scheme, host and port only)';

/** What each variable takes, in the words its error message uses. */
export const EXPECTED_FORMS: Record<string, string> = {
  PORT: integer(0, 65535),
  HOST: 'an IP address or host name to listen on, like 0.0.0.0 or 127.0.0.1',
  NODE_ENV: 'an environment name like production or development',
  LOG_LEVEL: 'one of fatal, error, warn, info, debug, trace, silent',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'an http(s) URL of an OTLP/HTTP collector like http://collector:4318',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'an http(s) URL of an OTLP/HTTP traces endpoint like http://collector:4318/v1/traces',
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_SERVICE_NAME: '1 to 255 characters without spaces',
  CLERK_SECRET_KEY: 'a Clerk secret key like sk_live_… or sk_test_…',
  CLERK_API_URL: 'an http(s) URL like https://api.clerk.com',
  CLERK_JWT_KEY: "Clerk's JWT public key: an RSA-2048 PEM (-----BEGIN PUBLIC KEY-----, newlines as is or as \\n)",
  CLERK_AUTHORIZED_PARTIES: originList,
  CLERK_M2M_AUDIENCE: 'a comma-separated list of audience values without spaces, at most 1024 characters each',
  INVITER_ROLES: 'a comma-separated list of Clerk role keys like org:admin',
  INVITER_PERMISSIONS: 'a comma-separated list of Clerk permission keys like org:invitations:manage',
  ORG_INVITER_ROLES: 'a comma-separated list of Clerk role keys like org:admin',
  ORG_INVITER_PERMISSIONS: 'a comma-separated list of Clerk permission keys like org:invitations:manage',
  INVITER_ORGS: 'a comma-separated list of Clerk organization ids like org_2abc',
  INVITER_MACHINES: 'a comma-separated list of Clerk machine ids like mch_2abc',
  GATEWAY_API_KEYS: 'a comma-separated list of name:sha256-hex entries with unique names',
  CORS_ORIGINS: `* or ${originList}`,
  ALLOWED_REDIRECT_ORIGINS: originList,
  MAX_REQUEST_BODY_BYTES: `${integer(1024)} (bytes)`,
  MAX_QUERY_DEPTH: integer(1, 100),
  MAX_QUERY_ALIASES: integer(0, 1000),
  MAX_QUERY_COST: integer(1),
  GRAPHIQL: 'true, false, 1 or 0',
  METRICS: 'true, false, 1 or 0',
  METRICS_PORT: `${integer(0, 65535)} (0: any free port)`,
  METRICS_HOST: 'an IP address or host name, like 127.0.0.1 or 0.0.0.0',
  METRICS_TOKEN: '16 to 512 printable characters without spaces',
  METRICS_OPERATION_NAMES: 'a comma-separated list of at most 200 GraphQL operation names of at most 100 characters',
  INTROSPECTION: 'true, false, 1 or 0',
  BATCH_WINDOW_MS: `${integer(0, 60_000)} (milliseconds)`,
  BATCH_WINDOW_MAX_MS: `${integer(0, 60_000)} (milliseconds)`,
  MAX_INVITATIONS_PER_REQUEST: integer(1, 10_000),
  MAX_PENDING_INVITATIONS: integer(1),
  UPSTREAM_BULK_PER_HOUR: integer(1),
  UPSTREAM_SINGLE_PER_HOUR: integer(1),
  UPSTREAM_BUDGET_WINDOW: 'a number and a unit: 500ms, 30s, 15m, 1h, 1d (the window the *_PER_HOUR allowances apply to)',
  UPSTREAM_CHANNELS: 'one of auto, bulk, single',
  ORG_UPSTREAM_BULK_PER_HOUR: integer(1),
  ORG_UPSTREAM_SINGLE_PER_HOUR: integer(1),
  ORG_UPSTREAM_BUDGET_SCOPE: 'one of instance, organization',
  UPSTREAM_TIMEOUT_MS: `${integer(1, 300_000)} (milliseconds)`,
  UPSTREAM_GENERAL_PER_10S: integer(1, 1_000_000),
  UPSTREAM_GENERAL_RESERVE_PERCENT: integer(0, 90),
  REQUEST_TIMEOUT_MS: `${integer(1, 600_000)} (milliseconds)`,
  REDIS_URL: 'a redis:// or rediss:// URL like redis://127.0.0.1:6379/0',
  MAX_INVITATIONS_PER_JOB: integer(1, 100_000),
  MAX_QUEUED_INVITATIONS: integer(1, 100_000_000),
  QUEUE_LOCK_MS: `${integer(1_000, 600_000)} (milliseconds)`,
  RATE_LIMIT_MAX: integer(1),
  RATE_LIMIT_WINDOW: 'a number and a unit: 500ms, 30s, 15m, 1h, 1d',
  RATE_LIMIT_SESSION_MAX: integer(1),
  RATE_LIMIT_SESSION_WINDOW: 'a number and a unit: 500ms, 30s, 15m, 1h, 1d',
  RATE_LIMIT_MACHINE_MAX: integer(1),
  RATE_LIMIT_MACHINE_WINDOW: 'a number and a unit: 500ms, 30s, 15m, 1h, 1d',
};

const MAX_SHOWN_LENGTH = 120;

/** Masks secrets (and a URL's password) so an error message can echo what was given without leaking it. */
const shown = (name: string, value: string | undefined) => {
  if (value === undefined) return 'unset';
  if (/SECRET|KEY|TOKEN|PASSWORD/.test(name)) return '(hidden)';
  const masked = value.replace(/(\/\/[^/@:\s]*:)[^\s]*@/g, '$1(hidden)@');
  return JSON.stringify(masked.length > MAX_SHOWN_LENGTH ? `${masked.slice(0, MAX_SHOWN_LENGTH)}…` : masked);
};

/** `NAME=value: expected <form>`, with the specific problem first when a check of ours found one. */
export const problem = (name: string, value: string | undefined, issue: { code: string; message: string }) => {
  const form = EXPECTED_FORMS[name];
  const detail = issue.code === 'custom' && issue.message ? `${issue.message}; ` : '';
  return `${name}=${shown(name, value)}: ${detail}${form ? `expected ${form}` : issue.message}`;
};

