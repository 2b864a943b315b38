import { cursorToOffset, offsetToCursor } from '@pothos/plugin-relay';
import type { Caller } from '../auth/caller.ts';
import { BadUserInputError } from '../errors.ts';
import type { InvitationQueue } from './invitation-queue.ts';
import type { JobMeta, ResultEdge } from './types.ts';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export const RESULTS_PAGE = { default: 100, max: 500 };
export const JOBS_PAGE = { default: 20, max: 100 };

/** Where a page starts and how long it is; cursors are opaque offsets, as in the other connections. */
function window({ first, after }: PageArgs, limits: { default: number; max: number }): { offset: number; first: number } {
  const size = first ?? limits.default;
  if (!Number.isInteger(size) || size < 1 || size > limits.max) {
    throw new BadUserInputError(`first: must be 1 to ${limits.max} (got ${size}).`, { field: 'first' });
  }
  if (after == null) return { offset: 0, first: size };
  let offset = Number.NaN;
  try {
    offset = cursorToOffset(after);
  } catch {
    // reported below
  }
  if (!Number.isSafeInteger(offset) || offset < 0) throw new BadUserInputError('after: not a cursor from this connection.', { field: 'after' });
  return { offset: offset + 1, first: size };
}

function pageInfo(offset: number, count: number, hasNextPage: boolean): PageInfo {
  return {
    hasNextPage,
    hasPreviousPage: offset > 0,
    startCursor: count > 0 ? offsetToCursor(offset) : null,
    endCursor: count > 0 ? offsetToCursor(offset + count - 1) : null,
  };
}

/** One page of a job's per-item results, in input order. */
export async function resultsPage(queue: InvitationQueue, meta: JobMeta, args: PageArgs) {
  const { offset, first } = window(args, RESULTS_PAGE);
  const edges: ResultEdge[] = await queue.results(meta, offset, first);
  return {
    edges: edges.map((edge) => ({ ...edge, cursor: offsetToCursor(edge.index) })),
    pageInfo: pageInfo(offset, edges.length, offset + edges.length < meta.total),
  };
}

/** One page of the caller's jobs, newest first. */
export async function jobsPage(queue: InvitationQueue, caller: Caller, args: PageArgs) {
  const { offset, first } = window(args, JOBS_PAGE);
  const page = await queue.list(caller, offset, first);
  return {
    edges: page.jobs.map((node, i) => ({ node, cursor: offsetToCursor(offset + i) })),
    pageInfo: pageInfo(offset, page.jobs.length, page.hasNextPage),
  };
}
