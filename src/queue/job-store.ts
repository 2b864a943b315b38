import type { InvitationOutcome } from '../invitations/types.ts';
import type { ClaimedItem, JobMeta, NewJob, OrphanedItem, ResultEdge, Settled } from './types.ts';

/** Finished jobs and their results are kept this long, then forgotten. */
export const JOB_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** A page of one caller's jobs, newest first. */
export interface JobPage {
  jobs: JobMeta[];
  hasNextPage: boolean;
}

/**
 * Where jobs, their items and their results live: Redis for replicas, memory for one process. Every
 * method that moves an item is atomic, so two replicas never both hold it and a count never drifts.
 *
 * An item is pending (no mark, no result), in flight (marked by one replica: it may have been sent),
 * or settled (a result). Only a mark's holder settles or gives back its items; a mark left by a
 * replica that died is taken over with `adopt` and settled by evidence.
 */
export interface JobStore {
  /** Stores a new job whole, or returns the job already stored under its id (an idempotent resubmit). */
  create(job: NewJob): Promise<{ created: boolean; meta: JobMeta }>;
  meta(id: string): Promise<JobMeta | undefined>;
  list(owner: string, offset: number, first: number): Promise<JobPage>;
  results(id: string, offset: number, first: number): Promise<ResultEdge[]>;
  /** Marks up to `n` pending items in flight under `mark` (items given back first) and returns them. */
  claim(id: string, n: number, mark: string, now: number): Promise<ClaimedItem[]>;
  /** Records outcomes of items marked by `mark`; outcomes of items no longer so marked are dropped. */
  settle(id: string, outcomes: Array<{ index: number; outcome: InvitationOutcome }>, mark: string, now: number): Promise<Settled>;
  /** Unmarks items that were not sent, so they are claimed again later. On a cancelled job they settle CANCELLED. */
  giveBack(id: string, items: Array<{ index: number; emailAddress: string }>, mark: string, now: number): Promise<Settled>;
  /** Items in flight under a mark other than `mark`. */
  orphans(id: string, mark: string): Promise<OrphanedItem[]>;
  /** Of these items, the indexes still in flight under `mark` (a replica that stalled may have lost some). */
  holding(id: string, indexes: number[], mark: string): Promise<number[]>;
  /** Takes orphans over under `mark`, each only if its old mark is still there; returns those taken. */
  adopt(id: string, orphans: OrphanedItem[], mark: string): Promise<OrphanedItem[]>;
  /** Settles every pending item CANCELLED; in-flight items finish as they will. Undefined: no such job. */
  cancel(id: string, now: number): Promise<JobMeta | undefined>;
  /** Pending items per owner of one family, for the estimate. */
  pendingByOwner(familyKey: string): Promise<Map<string, number>>;
  /** Items pending in every job of every family, for the queue's size limit. */
  pendingTotal(): Promise<number>;
  /** Unfinished jobs per owner, for the order in which jobs are picked up. */
  unfinishedJobs(owner: string): Promise<number>;
  close(): Promise<void>;
}
