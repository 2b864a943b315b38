import { print } from 'graphql';
import {
  CancelInvitationJobDocument,
  InvitationJobDocument,
  InvitationJobProgressDocument,
  InvitationJobsDocument,
  SubmitInvitationsDocument,
} from '../../client/generated/graphql.js';

/** The generated documents, as clients send them. */
export const SUBMIT = print(SubmitInvitationsDocument);
export const JOB = print(InvitationJobDocument);
export const JOBS = print(InvitationJobsDocument);
export const CANCEL = print(CancelInvitationJobDocument);
export const PROGRESS = print(InvitationJobProgressDocument);

export interface JobView {
  id: string;
  state: 'QUEUED' | 'RUNNING' | 'DONE' | 'CANCELLED';
  total: number;
  createdCount: number;
  failedCount: number;
  pendingCount: number;
  finishedAt: string | null;
  estimatedCompletionAt: string | null;
  results?: {
    edges: Array<{ index: number; emailAddress: string; result: null | { __typename: string; code?: string; invitation?: { id: string; emailAddress: string } } }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

type Send = (query: string, variables: Record<string, unknown>) => Promise<{ data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }>;

/** Reads every result of a job, a page at a time. */
export async function allResults(send: Send, id: string) {
  const edges: NonNullable<JobView['results']>['edges'] = [];
  let after: string | null = null;
  for (;;) {
    const body = await send(JOB, { id, first: 500, after });
    const job = body.data?.invitationJob as JobView | null;
    if (!job?.results) throw new Error(`no job ${id}: ${JSON.stringify(body.errors)}`);
    edges.push(...job.results.edges);
    if (!job.results.pageInfo.hasNextPage) return { job, edges };
    after = job.results.pageInfo.endCursor;
  }
}

/** Polls until every job has finished, or throws after `timeoutMs`. */
export async function waitFinished(send: Send, ids: string[], timeoutMs: number): Promise<JobView[]> {
  const giveUp = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await Promise.all(ids.map(async (id) => (await send(JOB, { id, first: 1 })).data?.invitationJob as JobView));
    if (jobs.every((j) => j?.finishedAt)) return jobs;
    if (Date.now() > giveUp) throw new Error(`jobs not finished: ${JSON.stringify(jobs.map((j) => j && { id: j.id, state: j.state, pending: j.pendingCount }))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
