import { print } from 'graphql';
import { CreateInvitationsDocument } from '../../client/generated/graphql.js';
import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app.ts';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.ts';
import type { Upstream } from '../../src/clerk/upstream.ts';
import type { Clock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.ts';
import { createLogger } from '../../src/logger.ts';

export interface StackOptions {
  /** Gateway environment; a function gets the running emulator (e.g. for CLERK_JWT_KEY). */
  env?: Record<string, string> | ((emulator: Emulator) => Record<string, string> | Promise<Record<string, string>>);
  emulator?: EmulatorOptions;
  /** Keep log lines in `stack.logs` at this level; default: no logging. */
  logLevel?: string;
  /** Replaces the Clerk client; the emulator still runs. */
  upstream?: Upstream;
  /** The gateway budgets' clock (give the emulator the same one through `emulator.now`). */
  clock?: Clock;
}

export interface GraphQLBody<T = any> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, any> }[];
}

/** Header overrides: a value replaces the default, `null` removes it (e.g. `{ authorization: null }`). */
export type HeaderOverrides = Record<string, string | null>;

function mergeHeaders(defaults: Record<string, string>, overrides: HeaderOverrides = {}): Record<string, string> {
  const merged: Record<string, string | null> = { ...defaults };
  for (const [name, value] of Object.entries(overrides)) merged[name.toLowerCase()] = value;
  return Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== null));
}

/**
 * The emulator on a real port and a gateway talking to it through the real SDK, served in process.
 * Requests carry a valid gateway API key (`stack.apiKey`) unless a test overrides the headers.
 */
export async function startStack({ env = {}, emulator: emulatorOptions = {}, logLevel, upstream, clock }: StackOptions = {}) {
  const emulator: Emulator = await startEmulator({ port: 0, ...emulatorOptions });
  const secretKey = emulator.secretKeys[0]!;
  const apiKey = generateApiKey();
  const given = typeof env === 'function' ? await env(emulator) : env;
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    RATE_LIMIT_MAX: '100000',
    CLERK_SECRET_KEY: secretKey,
    CLERK_API_URL: emulator.url,
    ...given,
    GATEWAY_API_KEYS: [`test:${hashApiKey(apiKey)}`, given.GATEWAY_API_KEYS].filter(Boolean).join(','),
  });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app: App = createApp({
    config,
    logger: createLogger({ level: logLevel ?? 'silent', destination }),
    clerk: { secretKey, apiUrl: emulator.url },
    upstream,
    clock,
  });
  const defaults = { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${apiKey}` };

  async function request<T = any>(query: string, variables?: Record<string, unknown>, headers?: HeaderOverrides) {
    const response = await app.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: mergeHeaders(defaults, headers),
      body: JSON.stringify({ query, variables }),
    });
    return { response, body: (await response.json()) as GraphQLBody<T> };
  }

  return {
    emulator,
    app,
    config,
    apiKey,
    secretKey,
    /** Captured log lines (JSON), when `logLevel` was given. */
    logs,
    request,
    /** A raw request to the gateway: no default headers, no credential. */
    fetch: (path: string, init: RequestInit = {}) => app.yoga.fetch(`http://gateway.test${path}`, init),
    /** createInvitations with the given items; returns the payload or throws on a GraphQL error. */
    async invite(items: Array<string | Record<string, unknown>>, headers?: HeaderOverrides) {
      const invitations = items.map((i) => (typeof i === 'string' ? { emailAddress: i } : i));
      const { body } = await request(CREATE_INVITATIONS, { invitations }, headers);
      if (!body.data) throw new Error(JSON.stringify(body.errors));
      return body.data.createInvitations as Payload;
    },
    bulkCalls: () => emulator.calls.filter((c) => c.route === 'bulk'),
    singleCalls: () => emulator.calls.filter((c) => c.route === 'single'),
    async close() {
      await app.close();
      await emulator.close();
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

export interface Payload {
  createdCount: number;
  failedCount: number;
  results: Array<
    | { __typename: 'InvitationCreated'; invitation: { id: string; emailAddress: string; status: string; expiresAt: string | null } }
    | { __typename: 'InvitationFailed'; emailAddress: string; code: string; message: string; retryable: boolean; retryAfterSeconds: number | null; clerkTraceId: string | null }
  >;
}

/** The generated typed document, as clients send it. */
export const CREATE_INVITATIONS = print(CreateInvitationsDocument);

/** `code` of a failed result, or 'CREATED'. */
export const outcome = (r: Payload['results'][number]) => (r.__typename === 'InvitationCreated' ? 'CREATED' : r.code);

export const emails = (n: number, prefix = 'user') => Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com`);
