import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClerkClient, type Invitation } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import { createSchema, createYoga } from 'graphql-yoga';
import { repoRoot } from '../support/processes.ts';
import { FIXED_PAGE } from './in-process-clerk.ts';
import { useContentLengthLimit } from './use-content-length-limit.ts';

/**
 * The comparison servers: plain graphql-yoga serving the gateway's own published SDL (schema.graphql),
 * so the mutation shape, argument parsing and response shape are identical and only the resolver differs.
 * - `naive`: one `createInvitationBulk` per request through @clerk/backend, no batching, no budget.
 * - `immediate`: answers "created" without calling anything, the floor for yoga with this schema.
 */
export type ReferenceMode = 'naive' | 'immediate';

/**
 * How the body size is limited:
 * - `yoga-default`: what a user of plain yoga gets, its 25 MB limit, which streams every body through a counter.
 * - `content-length`: the same handling as the gateway's (Content-Length checked before reading, only
 *   bodies without one streamed), at the gateway's 1 MB, so the comparison is like for like.
 */
export type BodyLimit = 'yoga-default' | 'content-length';

const toDates = (r: (typeof FIXED_PAGE.data)[number]) => ({
  ...r,
  expiresAt: r.expiresAt === null ? null : new Date(r.expiresAt),
  createdAt: new Date(r.createdAt),
  updatedAt: new Date(r.updatedAt),
});

/** The `invitations` query answered from a fixed page, in the connection shape the gateway answers. */
function invitationsPage() {
  const edges = FIXED_PAGE.data.map((node, i) => ({ cursor: Buffer.from(`arrayconnection:${i}`).toString('base64'), node: toDates(node) }));
  return {
    edges,
    totalCount: FIXED_PAGE.totalCount,
    pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: edges[0]!.cursor, endCursor: edges.at(-1)!.cursor },
  };
}

interface Item {
  emailAddress: string;
  [field: string]: unknown;
}

type Outcome =
  | { kind: 'created'; invitation: Record<string, unknown> }
  | { kind: 'failed'; emailAddress: string; code: string; message: string; retryable: boolean; retryAfterSeconds: number | null; clerkTraceId: string | null };

// The SDK's types omit expires_at although Clerk sends it; read it from the raw answer.
const expiresAtOf = (inv: Invitation) => (inv.raw as { expires_at?: unknown } | null)?.expires_at;

const fromClerk = (inv: Invitation) => ({
  id: inv.id,
  emailAddress: inv.emailAddress,
  status: inv.status,
  publicMetadata: inv.publicMetadata ?? {},
  url: inv.url ?? null,
  revoked: inv.revoked ?? false,
  expiresAt: typeof expiresAtOf(inv) === 'number' ? new Date(expiresAtOf(inv) as number) : null,
  createdAt: new Date(inv.createdAt),
  updatedAt: new Date(inv.updatedAt),
});

function immediate(items: Item[]): Outcome[] {
  const now = new Date();
  return items.map((item, i) => ({
    kind: 'created',
    invitation: { id: `inv_${i}`, emailAddress: item.emailAddress, status: 'pending', publicMetadata: {}, url: null, revoked: false, expiresAt: null, createdAt: now, updatedAt: now },
  }));
}

/** What a first-draft resolver does: pass the list straight to the bulk endpoint; any error fails every item. */
function naive(clerk: ReturnType<typeof createClerkClient>) {
  return async (items: Item[]): Promise<Outcome[]> => {
    try {
      const created = await clerk.invitations.createInvitationBulk(items as Parameters<typeof clerk.invitations.createInvitationBulk>[0]);
      return created.map((inv) => ({ kind: 'created', invitation: fromClerk(inv) }));
    } catch (error) {
      const clerkError = isClerkAPIResponseError(error) ? error : undefined;
      const rateLimited = clerkError?.status === 429;
      return items.map((item) => ({
        kind: 'failed',
        emailAddress: item.emailAddress,
        code: rateLimited ? 'RATE_LIMITED' : 'UPSTREAM_ERROR',
        message: error instanceof Error ? error.message : String(error),
        retryable: rateLimited,
        retryAfterSeconds: clerkError?.retryAfter ?? null,
        clerkTraceId: clerkError?.clerkTraceId ?? null,
      }));
    }
  };
}

export function createReferenceYoga(mode: ReferenceMode, clerk?: { secretKey: string; apiUrl: string }, bodyLimit: BodyLimit = 'yoga-default') {
  if (mode === 'naive' && !clerk) throw new TypeError('the naive server needs a Clerk secret key and API URL');
  const resolve = mode === 'naive' ? naive(createClerkClient(clerk!)) : async (items: Item[]) => immediate(items);
  const typeDefs = readFileSync(join(repoRoot, 'schema.graphql'), 'utf8');
  const schema = createSchema({
    typeDefs,
    resolvers: {
      DateTime: DateTimeResolver,
      JSONObject: JSONObjectResolver,
      InvitationStatus: { PENDING: 'pending', ACCEPTED: 'accepted', REVOKED: 'revoked', EXPIRED: 'expired' },
      InvitationTemplateSlug: { INVITATION: 'invitation', WAITLIST_INVITATION: 'waitlist_invitation' },
      InvitationResult: { __resolveType: (r: Outcome) => (r.kind === 'created' ? 'InvitationCreated' : 'InvitationFailed') },
      CreateInvitationsPayload: {
        createdCount: (p: { results: Outcome[] }) => p.results.filter((r) => r.kind === 'created').length,
        failedCount: (p: { results: Outcome[] }) => p.results.filter((r) => r.kind === 'failed').length,
      },
      Query: { gatewayStatus: () => ({ channels: [], pendingInvitations: 0 }), invitations: () => invitationsPage() },
      Mutation: {
        createInvitations: async (_root: unknown, { invitations }: { invitations: Item[] }) => ({ results: await resolve(invitations) }),
      },
    },
  });
  return bodyLimit === 'yoga-default'
    ? createYoga({ schema, logging: false })
    : createYoga({ schema, logging: false, maxRequestBodySize: false, plugins: [useContentLengthLimit()] });
}
