import { createApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.ts';
import { createLogger } from '../../src/logger.ts';

export interface StackOptions {
  env?: Record<string, string>;
  emulator?: EmulatorOptions;
}

export interface GraphQLBody<T = any> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, any> }[];
}

/** The emulator on a real port and a gateway talking to it through the real SDK, served in process. */
export async function startStack({ env = {}, emulator: emulatorOptions = {} }: StackOptions = {}) {
  const emulator: Emulator = await startEmulator({ port: 0, ...emulatorOptions });
  const config = loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_MAX: '100000', ...env });
  const app: App = createApp({
    config,
    logger: createLogger({ level: 'silent' }),
    clerk: { secretKey: emulator.secretKeys[0]!, apiUrl: emulator.url },
  });

  async function request<T = any>(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
    const response = await app.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { response, body: (await response.json()) as GraphQLBody<T> };
  }

  return {
    emulator,
    app,
    request,
    /** createInvitations with the given items; returns the payload or throws on a GraphQL error. */
    async invite(items: Array<string | Record<string, unknown>>, headers?: Record<string, string>) {
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

export const CREATE_INVITATIONS = /* GraphQL */ `
  mutation ($invitations: [InvitationInput!]!) {
    createInvitations(invitations: $invitations) {
      createdCount
      failedCount
      results {
        __typename
        ... on InvitationCreated { invitation { id emailAddress status expiresAt } }
        ... on InvitationFailed { emailAddress code message retryable retryAfterSeconds clerkTraceId }
      }
    }
  }
`;

/** `code` of a failed result, or 'CREATED'. */
export const outcome = (r: Payload['results'][number]) => (r.__typename === 'InvitationCreated' ? 'CREATED' : r.code);

export const emails = (n: number, prefix = 'user') => Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com`);
