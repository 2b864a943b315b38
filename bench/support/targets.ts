import { print } from 'graphql';
import { CreateInvitationsDocument, CreateOrganizationInvitationsDocument } from '../../client/generated/graphql.js';
import { Agent, request } from 'undici';
import type { BodyLimit } from '../servers/reference-yoga.ts';
import type { BenchApiKey } from './auth.ts';
import { startServerProcess, type ServerProcess } from './processes.ts';

export interface ClerkTarget {
  url: string;
  secretKey: string;
}

/** Settings of the machine running the benchmark that would otherwise leak into the servers under test. */
const GATEWAY_ENV = /^(GATEWAY_|BATCH_|UPSTREAM_|ORG_|RATE_LIMIT_|REDIS_|CLERK_|MAX_|REQUEST_|IDEMPOTENCY_|CORS_|ALLOWED_|INVITER|METRICS|OTEL_|GRAPHIQL$|INTROSPECTION$|LOG_LEVEL$|PORT$|HOST$)/;

function cleanEnv(): Record<string, string> {
  return Object.fromEntries(Object.keys(process.env).filter((k) => GATEWAY_ENV.test(k)).map((k) => [k, '']));
}

/** Budget limits far above any run, in Clerk's 1:4 bulk:single ratio so `auto` still picks channels as in production. */
export const RAISED_BUDGET = {
  UPSTREAM_BULK_PER_HOUR: '2500000',
  UPSTREAM_SINGLE_PER_HOUR: '10000000',
  ORG_UPSTREAM_BULK_PER_HOUR: '2500000',
  ORG_UPSTREAM_SINGLE_PER_HOUR: '10000000',
};
export const RAISED_EMULATOR_LIMITS = { bulkPerHour: 100_000_000, singlePerHour: 100_000_000, orgBulkPerHour: 100_000_000, orgSinglePerHour: 100_000_000 };

/**
 * The gateway exactly as deployed: `src/main.ts` in its own process, with an API key configured and
 * caller rate limiting on (its limit raised so nothing is refused), one replica (no Redis).
 */
export function gatewayEnv(clerk: ClerkTarget, apiKey: BenchApiKey, env: Record<string, string> = {}): Record<string, string> {
  return {
    ...cleanEnv(),
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    CLERK_SECRET_KEY: clerk.secretKey,
    CLERK_API_URL: clerk.url,
    RATE_LIMIT_MAX: '1000000000',
    ...RAISED_BUDGET,
    ...apiKey.env,
    ...env,
  };
}

export function startGateway(clerk: ClerkTarget, apiKey: BenchApiKey, env: Record<string, string> = {}): Promise<ServerProcess> {
  return startServerProcess('src/main.ts', gatewayEnv(clerk, apiKey, env), '/healthz');
}

export function referenceEnv(mode: 'naive' | 'immediate', clerk?: ClerkTarget, bodyLimit: BodyLimit = 'yoga-default'): Record<string, string> {
  const env: Record<string, string> = { ...cleanEnv(), NODE_ENV: 'production', REFERENCE_MODE: mode, REFERENCE_BODY_LIMIT: bodyLimit };
  if (clerk) Object.assign(env, { CLERK_SECRET_KEY: clerk.secretKey, CLERK_API_URL: clerk.url });
  return env;
}

export function startReference(mode: 'naive' | 'immediate', clerk?: ClerkTarget): Promise<ServerProcess> {
  return startServerProcess('bench/servers/reference-main.ts', referenceEnv(mode, clerk), '/health');
}

// The typed document clients use, so the benchmark sends what a generated client sends.
export const CREATE_INVITATIONS = print(CreateInvitationsDocument);
const CREATE_ORGANIZATION_INVITATIONS = print(CreateOrganizationInvitationsDocument);

export const inviteBody = (emails: readonly string[], organizationId?: string) =>
  organizationId
    ? JSON.stringify({
        query: CREATE_ORGANIZATION_INVITATIONS,
        variables: { organizationId, invitations: emails.map((emailAddress) => ({ emailAddress, role: 'org:member' })) },
      })
    : JSON.stringify({ query: CREATE_INVITATIONS, variables: { invitations: emails.map((emailAddress) => ({ emailAddress })) } });

// Enough sockets that 500 concurrent requests really are concurrent.
const agent = new Agent({ connections: 1_000, keepAliveTimeout: 10_000 });

export interface InviteAnswer {
  status: number;
  createdCount: number;
  codes: string[];
  ms: number;
}

/** One createInvitations call over HTTP. */
export async function invite(baseUrl: string, headers: Record<string, string>, emails: readonly string[], organizationId?: string): Promise<InviteAnswer> {
  const started = performance.now();
  const response = await request(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: inviteBody(emails, organizationId),
    dispatcher: agent,
  });
  const body = (await response.body.json()) as {
    data?: Record<string, { createdCount: number; results: { __typename: string; code?: string }[] }>;
    errors?: { message: string }[];
  };
  const payload = body.data?.[organizationId ? 'createOrganizationInvitations' : 'createInvitations'];
  return {
    status: response.statusCode,
    createdCount: payload?.createdCount ?? 0,
    codes: payload ? payload.results.map((r) => r.code ?? 'CREATED') : [`ERROR: ${body.errors?.[0]?.message ?? response.statusCode}`],
    ms: performance.now() - started,
  };
}
