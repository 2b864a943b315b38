import { ApolloClient, ApolloError, HttpLink, InMemoryCache } from '@apollo/client/core';
import { Client, fetchExchange } from '@urql/core';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayErrorCode } from '../../client/error-codes.ts';
import { CreateInvitationsDocument, InvitationsDocument, RevokeInvitationDocument } from '../../client/generated/graphql.ts';
import { hashApiKey } from '../../src/auth/api-keys.ts';
import { createGatewayNodeServer } from '../../src/node-server.ts';
import { redisReachable, REDIS_URL } from '../support/redis.ts';
import { startStack, type Stack } from '../support/stack.ts';

/** What a client library made of one answer, plus what went over the wire. */
interface Outcome {
  data: any;
  codes: (string | undefined)[];
  networkError: unknown;
  http: { status: number; type: string | null };
}

interface GraphQLClient {
  run<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V, headers?: Record<string, string>): Promise<Outcome>;
}

type ClientFactory = (url: string, authorization: string) => GraphQLClient;

/** Records the last response's status and media type, under each library's own fetch call. */
function recordingFetch() {
  const last = { status: 0, type: null as string | null };
  const fetchFn: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    Object.assign(last, { status: response.status, type: response.headers.get('content-type') });
    return response;
  };
  return { last, fetchFn };
}

const apollo: ClientFactory = (url, authorization) => {
  const { last, fetchFn } = recordingFetch();
  // Apollo Client's defaults, as a frontend has them: HttpLink, Accept */*, errorPolicy none.
  const client = new ApolloClient({ link: new HttpLink({ uri: url, headers: { authorization }, fetch: fetchFn }), cache: new InMemoryCache() });
  return {
    async run(document, variables, headers = {}) {
      const isMutation = document.definitions.some((d) => d.kind === 'OperationDefinition' && d.operation === 'mutation');
      const options = { variables, context: { headers }, fetchPolicy: 'no-cache' as const };
      try {
        const result = isMutation ? await client.mutate({ mutation: document, ...options }) : await client.query({ query: document, ...options });
        return { data: result.data, codes: [], networkError: undefined, http: { ...last } };
      } catch (error) {
        if (!(error instanceof ApolloError)) throw error;
        return { data: undefined, codes: error.graphQLErrors.map((e) => gatewayErrorCode(e)), networkError: error.networkError, http: { ...last } };
      }
    },
  };
};

const urql: ClientFactory = (url, authorization) => {
  const { last, fetchFn } = recordingFetch();
  const client = new Client({ url, exchanges: [fetchExchange], fetch: fetchFn, requestPolicy: 'network-only', preferGetMethod: false });
  return {
    async run(document, variables, headers = {}) {
      const isMutation = document.definitions.some((d) => d.kind === 'OperationDefinition' && d.operation === 'mutation');
      const context = { fetchOptions: { headers: { authorization, ...headers } } };
      const result = await (isMutation ? client.mutation(document, variables, context) : client.query(document, variables, context)).toPromise();
      return {
        data: result.data,
        codes: result.error?.graphQLErrors.map((e) => gatewayErrorCode(e)) ?? [],
        networkError: result.error?.networkError,
        http: { ...last },
      };
    },
  };
};

const CLIENTS: [string, ClientFactory][] = [
  ['Apollo Client 3 (HttpLink)', apollo],
  ['urql (@urql/core)', urql],
];

/** The stack's yoga on a real listening HTTP server, the way main.ts serves it. */
async function listen(stack: Stack) {
  const server = createGatewayNodeServer(stack.app.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/graphql`, close: () => server.drain() };
}

const FULL_NODE = ['id', 'emailAddress', 'status', 'publicMetadata', 'expiresAt', 'createdAt', 'updatedAt', 'revoked', 'url'];
/** A page size written into the document, as hand-written queries do; graphql-armor used to multiply by it. */
const literalPage = (first: number) =>
  parse(
    `query LiteralPage { invitations(first: ${first}) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${FULL_NODE.join(' ')} } } } }`,
  ) as TypedDocumentNode<any, Record<string, never>>;

const invite = (emailAddress: string) => ({ invitations: [{ emailAddress }] });

describe.each(CLIENTS)('%s against a live gateway', (_name, makeClient) => {
  let stack: Stack;
  let served: Awaited<ReturnType<typeof listen>>;
  let client: GraphQLClient;
  beforeAll(async () => {
    stack = await startStack({ env: { RATE_LIMIT_MAX: '1' } });
    served = await listen(stack);
    client = makeClient(served.url, `Bearer ${stack.apiKey}`);
  });
  afterAll(async () => {
    await served.close();
    await stack.close();
  });

  it('NOT_FOUND from revokeInvitation of an unknown id arrives as a GraphQL error, not a network error', async () => {
    const outcome = await client.run(RevokeInvitationDocument, { id: 'inv_doesnotexist' });
    expect(outcome.codes).toEqual(['NOT_FOUND']);
    expect(outcome.networkError ?? undefined).toBeUndefined();
    // Whichever media type the library asked for, the status fits it.
    expect(outcome.http.status).toBe(outcome.http.type?.startsWith('application/json') ? 200 : 404);
  });

  it('RATE_LIMITED on the second createInvitations past RATE_LIMIT_MAX=1', async () => {
    const first = await client.run(CreateInvitationsDocument, invite(`first-${randomBytes(3).toString('hex')}@example.com`));
    expect(first.codes).toEqual([]);
    expect(first.data.createInvitations.createdCount).toBe(1);
    const second = await client.run(CreateInvitationsDocument, invite('second@example.com'));
    expect(second.codes).toEqual(['RATE_LIMITED']);
    expect(second.networkError ?? undefined).toBeUndefined();
    expect(stack.emulator.invitations().map((i) => i.emailAddress)).not.toContain('second@example.com');
  });

  it('invitations(first: 100) with a full node selection passes, as a variable and as a literal (50 and 100)', async () => {
    stack.emulator.seedInvitations(Array.from({ length: 3 }, (_, i) => ({ emailAddress: `seeded${i}@example.com` })));
    const variable = await client.run(InvitationsDocument, { first: 100 });
    const literals = await Promise.all([50, 100].map((first) => client.run(literalPage(first), {})));
    for (const outcome of [variable, ...literals]) {
      expect(outcome.codes).toEqual([]);
      expect(outcome.http.status).toBe(200);
      expect(outcome.data.invitations.edges.length).toBeGreaterThanOrEqual(3);
      expect(Object.keys(outcome.data.invitations.edges[0].node)).toEqual(expect.arrayContaining(FULL_NODE));
    }
  });
});

const redisUp = await redisReachable('clients: idempotency conflict');

/**
 * A replica waits for a running request with the same key up to its REQUEST_TIMEOUT_MS, so the
 * conflict shows when the first request (Clerk slow) outlives that wait: here on a second replica
 * with a shorter timeout, sharing the first's Redis, as two replicas do.
 */
describe.skipIf(!redisUp).each(CLIENTS)('%s: IDEMPOTENCY_CONFLICT while Clerk is slow', (_name, makeClient) => {
  const apiKey = `gk_${randomBytes(24).toString('hex')}`;
  // A caller of its own, so no other test's limits or keys on the shared Redis meet this one.
  const env = { REDIS_URL, GATEWAY_API_KEYS: `clients-${randomBytes(4).toString('hex')}:${hashApiKey(apiKey)}` };
  let slow: Stack;
  let impatient: Stack;
  let servers: Awaited<ReturnType<typeof listen>>[];
  beforeAll(async () => {
    slow = await startStack({ env });
    impatient = await startStack({ env: { ...env, REQUEST_TIMEOUT_MS: '1000', UPSTREAM_TIMEOUT_MS: '400' } });
    servers = [await listen(slow), await listen(impatient)];
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await slow.close();
    await impatient.close();
  });

  it('the second of two concurrent calls with one Idempotency-Key gets IDEMPOTENCY_CONFLICT as a GraphQL error; the first still creates once', async () => {
    slow.emulator.faults.add({ route: 'any', fault: 'latency', latencyMs: 3_000 });
    const key = { 'idempotency-key': `conflict-${randomBytes(6).toString('hex')}` };
    const variables = invite(`conflict-${randomBytes(3).toString('hex')}@example.com`);
    const firstClient = makeClient(servers[0]!.url, `Bearer ${apiKey}`);
    const secondClient = makeClient(servers[1]!.url, `Bearer ${apiKey}`);

    const first = firstClient.run(CreateInvitationsDocument, variables, key);
    // The first holds the key once its Clerk call has left (the emulator records it on arrival).
    while (!slow.emulator.calls.some((c) => c.route === 'single' || c.route === 'bulk')) await new Promise((r) => setTimeout(r, 10));
    const second = await secondClient.run(CreateInvitationsDocument, variables, key);
    expect(second.codes).toEqual(['IDEMPOTENCY_CONFLICT']);
    expect(second.networkError ?? undefined).toBeUndefined();

    const answered = await first;
    expect(answered.codes).toEqual([]);
    expect(answered.data.createInvitations.createdCount).toBe(1);
    expect(impatient.emulator.calls.filter((c) => c.route === 'single' || c.route === 'bulk')).toEqual([]);
    expect(slow.emulator.invitations().filter((i) => i.emailAddress === variables.invitations[0]!.emailAddress)).toHaveLength(1);
  });
});
