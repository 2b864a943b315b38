import { cursorToOffset, offsetToCursor } from '@pothos/plugin-relay';
import { UpstreamFailure } from '../clerk/classify.ts';
import type { InvitationStatusFilter, Upstream } from '../clerk/upstream.ts';
import type { GatewayContext } from '../context.ts';
import { BadUserInputError } from '../errors.ts';
import type { InvitationRecord } from '../invitations/types.ts';
import { InvitationNotFoundError, InvitationNotRevocableError, toUpstreamCallError } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
const MAX_QUERY_LENGTH = 256;
const INVITATION_ID = /^inv_[A-Za-z0-9]{1,64}$/;

export interface ListInvitationsArgs {
  status?: InvitationStatusFilter | null;
  query?: string | null;
  first?: number | null;
  after?: string | null;
}

export interface InvitationPage {
  edges: { cursor: string; node: InvitationRecord }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

/** The offset just past an `after` cursor; cursors are opaque offsets into Clerk's sorted list. */
function offsetAfter(after: string): number {
  let offset = Number.NaN;
  try {
    offset = cursorToOffset(after);
  } catch {
    // reported below
  }
  if (!Number.isSafeInteger(offset) || offset < 0) throw new BadUserInputError('after: not a cursor from this connection.', { field: 'after' });
  return offset + 1;
}

/** One page of Clerk's invitation list, newest first (Clerk's order), as a Relay connection. */
export async function listInvitations(
  { services }: GatewayContext,
  args: ListInvitationsArgs,
  upstream: Upstream = services.upstream,
): Promise<InvitationPage> {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (first < 1 || first > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`first: must be between 1 and ${MAX_PAGE_SIZE} (got ${first}).`, { field: 'first' });
  }
  const query = args.query?.trim() || undefined;
  if (query && query.length > MAX_QUERY_LENGTH) {
    throw new BadUserInputError(`query: at most ${MAX_QUERY_LENGTH} characters.`, { field: 'query' });
  }
  const offset = args.after == null ? 0 : offsetAfter(args.after);
  let page;
  try {
    page = await upstream.list({ status: args.status ?? undefined, query, limit: first, offset });
  } catch (error) {
    throw toUpstreamCallError(error, 'list invitations', false);
  }
  const edges = page.data.map((node, index) => ({ cursor: offsetToCursor(offset + index), node }));
  return {
    edges,
    totalCount: page.totalCount,
    pageInfo: {
      hasNextPage: offset + page.data.length < page.totalCount,
      hasPreviousPage: offset > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** Which invitations a revoke is for: the application's (`inv_…`) or one organization's (`orginv_…`). */
export interface RevokeTarget {
  upstream: Upstream;
  idPattern: RegExp;
  idForm: string;
}

/** Revokes a pending invitation so its link stops working; Clerk's 404 and 400s become precise errors. */
export async function revokeInvitation({ services }: GatewayContext, id: string, target?: RevokeTarget): Promise<InvitationRecord> {
  const { upstream, idPattern, idForm } = target ?? { upstream: services.upstream, idPattern: INVITATION_ID, idForm: 'inv_…' };
  if (!idPattern.test(id)) {
    throw new BadUserInputError(`id: ${JSON.stringify(id.slice(0, 80))} is not a Clerk invitation id (${idForm}).`, { field: 'id' });
  }
  try {
    return await upstream.revoke(id);
  } catch (error) {
    if (error instanceof UpstreamFailure && error.info.kind === 'rejected') {
      const { status, errors, traceId } = error.info;
      const code = errors[0]?.code ?? '';
      if (status === 404) throw new InvitationNotFoundError(id, traceId);
      if (code === 'invitation_already_accepted' || code === 'invitation_already_revoked') {
        throw new InvitationNotRevocableError(id, code, traceId);
      }
    }
    throw toUpstreamCallError(error, 'revoke the invitation', true);
  }
}
