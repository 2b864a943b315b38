/**
 * The invitation queue: invitations that outlast the hour.
 *
 * Design
 * - A submission is one job. Its items are validated at once (invalid ones settle INVALID_INPUT at
 *   submit) and stored whole, atomically, in a job store: Redis hashes and lists keyed by job id when
 *   REDIS_URL is set (`redis-job-store.ts`), this process's memory otherwise (`memory-job-store.ts`,
 *   lost on restart). Each item is pending, in flight (marked by one replica: it may have been sent),
 *   or settled (its outcome). Every move between those is one atomic step of the store.
 * - Which replica drains which job is BullMQ's business with Redis (`bullmq-job-source.ts`: one BullMQ
 *   job per submission, locked by one replica at a time, handed to another when that replica stops
 *   renewing its lock); an in-memory list without (`memory-job-source.ts`). A caller's first unfinished
 *   job is picked before its later ones (BullMQ priority), so many jobs of one caller cannot hold every slot.
 * - Items never go to Clerk on their own path. The feeder (`fair-feeder.ts`) hands them to the same lane
 *   batchers synchronous requests use, so the budget, channel choice, attribution, reconciliation,
 *   idempotency of addresses and the one-address-in-flight rule are shared, never duplicated. It feeds
 *   one call's worth only when the family's budget can take that call (a full bulk call while bulk
 *   calls last, then single creates), waits while synchronous items are in the lane, and takes items
 *   from the owners with work round-robin.
 * - Crash safety: an item is marked in flight before it can be sent, and its outcome replaces the mark
 *   in one step. A replica killed at any moment leaves marks; the replica that takes the job over waits
 *   until the dead replica's calls are surely over, then settles those items through the lane's
 *   `recover` (look up, report what exists, send only what provably does not): the same evidence rules
 *   as an idempotent retry of a cut-off request. Items Clerk never received (budget refused, no time,
 *   not sent) are given back and claimed again later. SIGTERM stops claiming, hands back items waiting
 *   for company, lets calls in flight finish, and hands the jobs back to BullMQ.
 * - Progress: every settled call publishes the job through yoga's pub/sub (Redis pub/sub across
 *   replicas); `invitationJobProgress` streams it over SSE and also looks every few seconds, so a lost
 *   message only delays an update.
 * - Memory: a replica drains at most JOBS_PER_REPLICA jobs at once and holds at most a call's worth of
 *   items per family; results are read a page at a time.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Family, FamilyLane } from '../batcher/families.ts';
import type { UpstreamBudget } from '../budget/types.ts';
import type { Caller } from '../auth/caller.ts';
import { BadUserInputError, JobNotFoundError, ServiceUnavailableError } from '../errors.ts';
import { invitationsFingerprint, KEY_PATTERN } from '../invitations/idempotency.ts';
import { validateItems, type InvitationInput, type ValidationOptions } from '../invitations/validate-item.ts';
import type { InvitationFailed, InvitationOutcome } from '../invitations/types.ts';
import type { Logger } from '../logger.ts';
import { estimateCompletion } from './estimate.ts';
import { FairFeeder } from './fair-feeder.ts';
import { familyKey } from './family-key.ts';
import { priorityOf, type JobSource, type RunEnd } from './job-source.ts';
import type { JobPage, JobStore } from './job-store.ts';
import { JobRunner } from './job-runner.ts';
import type { ProgressPubSub } from './progress.ts';
import type { JobMeta, ResultEdge } from './types.ts';

export interface InvitationQueueOptions {
  store: JobStore;
  source: JobSource;
  pubsub: ProgressPubSub;
  lane(family: Family): FamilyLane;
  budget(family: Family): UpstreamBudget;
  limits(family: Family): { bulkPerHour: number; singlePerHour: number };
  policy: 'auto' | 'bulk' | 'single';
  validation: ValidationOptions;
  /** MAX_INVITATIONS_PER_JOB. */
  maxItemsPerJob: number;
  /** MAX_QUEUED_INVITATIONS: pending items of every job, the bound on what the queue holds. */
  maxQueuedItems: number;
  /** The window the hourly limits apply to, for estimates. @default 3_600_000 */
  windowMs?: number;
  /** See RunnerHost.orphanAfterMs. */
  orphanAfterMs: number;
  /** How long a part-filled bulk call waits for more queued items. */
  fillWaitMs: number;
  /** The budgets' clock. */
  now?: () => number;
  logger: Logger;
  /** Hears every outcome the queue records, for the invitation metrics. */
  onSettled?: (outcomes: InvitationOutcome[], family: Family) => void;
  onClose?: () => Promise<void>;
}

export interface SubmitOptions {
  family: Family;
  idempotencyKey?: string | null;
  /** Organization invitations: the inviting admin, from the caller. */
  inviterUserId?: string;
}

/** How often a progress stream looks at the job itself, besides the published updates. */
const PROGRESS_POLL_MS = 2_000;
const ENQUEUE_TIMEOUT_MS = 5_000;

export class InvitationQueue {
  private readonly feeder: FairFeeder;
  private readonly runners = new Set<JobRunner>();
  /** This process's mark on the items it claims; a restart gets a new one. */
  private readonly mark = randomUUID();
  private stopping: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: InvitationQueueOptions) {
    this.now = options.now ?? Date.now;
    this.feeder = new FairFeeder({ ...options, now: this.now });
  }

  start(): void {
    this.options.source.start((id) => this.run(id));
  }

  async submit(caller: Caller, inputs: readonly InvitationInput[], { family, idempotencyKey, inviterUserId }: SubmitOptions): Promise<JobMeta> {
    const max = this.options.maxItemsPerJob;
    if (inputs.length === 0) throw new BadUserInputError('invitations: give at least one invitation.', { field: 'invitations' });
    if (inputs.length > max) throw new BadUserInputError(`invitations: at most ${max} per job (got ${inputs.length}); submit several jobs.`, { field: 'invitations' });
    if (idempotencyKey != null && !KEY_PATTERN.test(idempotencyKey)) {
      throw new BadUserInputError('idempotencyKey: must be 1 to 255 printable ASCII characters without spaces.', { field: 'idempotencyKey' });
    }
    if (this.stopping) throw new ServiceUnavailableError('This replica is shutting down; nothing was queued. Submit again.');
    const checked = validateItems(inputs, this.options.validation);
    const settled = new Map<number, InvitationFailed>();
    const items = checked.map((item, index) => {
      if (!item.ok) {
        settled.set(index, item.failure);
        return { emailAddress: String(inputs[index]!.emailAddress) };
      }
      if (inviterUserId) item.params.inviterUserId = inviterUserId;
      return { emailAddress: item.params.emailAddress, params: item.params };
    });
    const fingerprint = invitationsFingerprint(inputs);
    const id = jobId(caller.id, family, idempotencyKey);
    await this.checkRoom(id, items.length - settled.size, idempotencyKey);
    const { created, meta } = await this.options.store.create({ id, owner: caller.id, family, fingerprint, items, settled, createdAt: this.now() });
    if (!created && meta.fingerprint !== fingerprint) {
      throw new BadUserInputError('idempotencyKey: already used for a different list of invitations.', { field: 'idempotencyKey' });
    }
    if (created && settled.size > 0) this.options.onSettled?.([...settled.values()], family);
    // Enqueued again on a retried submit too: the first attempt may have stopped between store and queue.
    if (meta.finishedAt === null) {
      const enqueued = this.options.source.enqueue(id, priorityOf(await this.options.store.unfinishedJobs(caller.id)));
      await withTimeout(enqueued, ENQUEUE_TIMEOUT_MS);
    }
    return meta;
  }

  /**
   * Whether a submit would only find the job an earlier submit with the same key and list made: such a
   * retry queues nothing, so it spends none of the caller's daily limit.
   */
  async isReplay(callerId: string, family: Family, idempotencyKey: string | null | undefined, inputs: readonly InvitationInput[]): Promise<boolean> {
    if (idempotencyKey == null || !KEY_PATTERN.test(idempotencyKey) || !Array.isArray(inputs)) return false;
    const meta = await this.options.store.meta(jobId(callerId, family, idempotencyKey)).catch(() => undefined);
    return meta?.owner === callerId && meta.fingerprint === invitationsFingerprint(inputs);
  }

  /**
   * Refuses a new job that would take the queue past MAX_QUEUED_INVITATIONS; a retried submit of a
   * stored job is not new. Checked, then stored: submits at the same moment may pass it together, so
   * the bound holds within one job per concurrent submit.
   */
  private async checkRoom(id: string, adding: number, idempotencyKey: string | null | undefined): Promise<void> {
    if (adding === 0) return;
    const queued = await this.options.store.pendingTotal();
    if (queued + adding <= this.options.maxQueuedItems) return;
    if (idempotencyKey != null && (await this.options.store.meta(id))) return;
    throw new ServiceUnavailableError(
      `The queue holds ${queued} invitations and takes at most ${this.options.maxQueuedItems}; these ${adding} were not queued. Submit again later.`,
      60,
    );
  }

  /** The caller's own job, or undefined: another caller's job is as absent as one that never was. */
  async get(caller: Caller, id: string): Promise<JobMeta | undefined> {
    const meta = await this.options.store.meta(id);
    return meta?.owner === caller.id ? meta : undefined;
  }

  list(caller: Caller, offset: number, first: number): Promise<JobPage> {
    return this.options.store.list(caller.id, offset, first);
  }

  results(meta: JobMeta, offset: number, first: number): Promise<ResultEdge[]> {
    return this.options.store.results(meta.id, offset, Math.max(0, Math.min(first, meta.total - offset)));
  }

  async cancel(caller: Caller, id: string): Promise<JobMeta> {
    if (!(await this.get(caller, id))) throw new JobNotFoundError(id);
    const meta = await this.options.store.cancel(id, this.now());
    if (!meta) throw new JobNotFoundError(id);
    this.publish(meta);
    return meta;
  }

  async estimatedCompletionAt(meta: JobMeta): Promise<number | null> {
    return estimateCompletion({
      meta,
      pendingByOwner: await this.options.store.pendingByOwner(familyKey(meta.family)),
      budget: this.options.budget(meta.family),
      limits: this.options.limits(meta.family),
      windowMs: this.options.windowMs ?? 3_600_000,
      now: this.now(),
    });
  }

  /** The job now, then after every change, until it is finished (or the gateway shuts down). */
  async *progress(caller: Caller, id: string): AsyncGenerator<JobMeta> {
    const updates = this.options.pubsub.subscribe('invitationJobProgress', id);
    const iterator = updates[Symbol.asyncIterator]();
    try {
      let meta = await this.get(caller, id);
      if (!meta) throw new JobNotFoundError(id);
      let last = '';
      for (;;) {
        const seen = `${meta.state}:${meta.createdCount}:${meta.failedCount}:${meta.pendingCount}`;
        if (seen !== last) yield meta;
        last = seen;
        if (meta.finishedAt !== null || this.stopping) return;
        const next = await Promise.race([iterator.next(), sleep(PROGRESS_POLL_MS).then(() => undefined)]);
        meta = next && !next.done ? next.value : ((await this.get(caller, id)) ?? meta);
      }
    } finally {
      void iterator.return?.();
    }
  }

  /** Stops taking work: claims end, items waiting for company go back, calls in flight finish, jobs go back to the source. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const sourceStopped = this.options.source.stop();
      await this.feeder.stop();
      for (const runner of this.runners) runner.stop();
      await sourceStopped;
      await this.options.onClose?.();
    })();
    return this.stopping;
  }

  private publish(meta: JobMeta): void {
    this.options.pubsub.publish('invitationJobProgress', meta.id, meta);
  }

  private async run(id: string): Promise<RunEnd> {
    if (this.stopping) return 'stopped';
    const meta = await this.options.store.meta(id);
    if (!meta || meta.finishedAt !== null) return 'finished';
    const runner = new JobRunner(meta, this.mark, {
      store: this.options.store,
      lane: this.options.lane,
      publish: (m) => this.publish(m),
      orphanAfterMs: this.options.orphanAfterMs,
      logger: this.options.logger,
      onSettled: (outcomes) => this.options.onSettled?.(outcomes, meta.family),
    });
    this.runners.add(runner);
    runner.start();
    this.feeder.add(runner);
    try {
      return await runner.done;
    } finally {
      this.runners.delete(runner);
      this.feeder.remove(runner);
    }
  }
}

/** With an idempotency key the id is the key's (per caller and family), so a retried submit finds its job. */
function jobId(owner: string, family: Family, idempotencyKey: string | null | undefined): string {
  if (idempotencyKey == null) return `job_${randomUUID().replaceAll('-', '')}`;
  return `job_${createHash('sha256').update(`${owner}\n${familyKey(family)}\n${idempotencyKey}`).digest('hex').slice(0, 32)}`;
}

/** BullMQ's client waits for Redis forever; a caller must not. */
async function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ServiceUnavailableError('The queue did not answer; the job may be stored but not queued. Submit again with the same idempotency key.', 2)),
      ms,
    );
  });
  try {
    await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
