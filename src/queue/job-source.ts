/** How a job ended on this replica: finished, or stopped (shutdown) and to be handed back. */
export type RunEnd = 'finished' | 'stopped';

/**
 * Which jobs this replica drains: BullMQ's workers with Redis, a list in memory without. A source runs
 * `run` for a job at a time per slot, hands a stopped job back for another replica, and picks lower
 * `priority` first (a caller's first unfinished job before its later ones).
 */
export interface JobSource {
  enqueue(id: string, priority: number): Promise<void>;
  start(run: (id: string) => Promise<RunEnd>): void;
  /** Takes no more jobs and resolves once every job it runs has ended. */
  stop(): Promise<void>;
}

/** Jobs drained at once per replica: enough to interleave many callers, each holding at most a page of items. */
export const JOBS_PER_REPLICA = 64;

/** BullMQ's priorities run from 1 (first) to 2,097,152. */
export const priorityOf = (unfinishedOfOwner: number) => Math.min(2_097_152, Math.max(1, unfinishedOfOwner));
