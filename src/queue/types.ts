import type { Family } from '../batcher/families.ts';
import type { InvitationFailed, InvitationOutcome, InvitationParams } from '../invitations/types.ts';

export type JobState = 'QUEUED' | 'RUNNING' | 'DONE' | 'CANCELLED';

/** What a job is, as stored: counters move as items settle, items and results live beside it. */
export interface JobMeta {
  id: string;
  /** The submitting caller's id (`apikey:…`, `user:…`): only it sees the job. */
  owner: string;
  family: Family;
  state: JobState;
  total: number;
  createdCount: number;
  failedCount: number;
  pendingCount: number;
  /** Epoch ms. */
  createdAt: number;
  finishedAt: number | null;
  /** Hash of the submitted list, so a resubmission with the same idempotency key can be told from a different one. */
  fingerprint: string;
}

/**
 * One submitted item: valid items carry what is sent to Clerk; invalid ones were settled at submit
 * and carry only their address.
 */
export type StoredItem = { emailAddress: string; params?: InvitationParams };

/** An item this replica has marked in flight and may send. */
export interface ClaimedItem {
  jobId: string;
  index: number;
  params: InvitationParams;
  /** Epoch ms of the mark: no call for the item left before it. */
  claimedAt: number;
}

/** An item found in flight under another replica's mark, to be settled by evidence, never resent blind. */
export interface OrphanedItem extends ClaimedItem {
  /** The mark it had, so only one recoverer takes it over. */
  mark: string;
}

export interface NewJob {
  id: string;
  owner: string;
  family: Family;
  fingerprint: string;
  items: StoredItem[];
  /** Outcomes known at submit (invalid items), by index. */
  settled: Map<number, InvitationFailed>;
  createdAt: number;
}

export interface ResultEdge {
  index: number;
  emailAddress: string;
  /** Null while the item is pending. */
  result: InvitationOutcome | null;
}

/** How a settle call went: false when the mark was no longer this replica's (another took the item over). */
export type Settled = { accepted: boolean; meta: JobMeta | undefined };
