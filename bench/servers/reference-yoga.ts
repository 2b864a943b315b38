import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClerkClient, type Invitation } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import { createSchema, createYoga } from 'graphql-yoga';
import { repoRoot } from '../support/processes.ts';

/**
 * The comparison servers: plain graphql-yoga serving the gateway's own published SDL (schema.graphql),
 * so the mutation shape, argument parsing and response shape are identical and only the resolver differs.
 * - `naive`: one `createInvitationBulk` per request through @clerk/backend, no batching, no budget.
 * - `immediate`: answers "created" without calling anything, the floor for yoga with this schema.
 */
export type ReferenceMode = 'naive' | 'immediate';

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

export function createReferenceYoga(mode: ReferenceMode, clerk?: { secretKey: string; apiUrl: string }) {
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
      Query: { gatewayStatus: () => ({ channels: [], pendingInvitations: 0 }) },
      Mutation: {
        createInvitations: async (_root: unknown, { invitations }: { invitations: Item[] }) => ({ results: await resolve(invitations) }),
      },
    },
  });
  return createYoga({ schema, logging: false });
}
