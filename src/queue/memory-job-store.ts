import type { InvitationOutcome } from '../invitations/types.ts';
import type { JobPage, JobStore } from './job-store.ts';
import { cancelledOutcome } from './outcomes.ts';
import { familyKey } from './family-key.ts';
import type { ClaimedItem, JobMeta, NewJob, OrphanedItem, ResultEdge, Settled, StoredItem } from './types.ts';

interface MemoryJob {
  meta: JobMeta;
  items: StoredItem[];
  results: Map<number, InvitationOutcome>;
  inflight: Map<number, { mark: string; claimedAt: number }>;
  retry: number[];
  next: number;
}

/** Finished jobs kept per process before the oldest are forgotten, so memory stays bounded. */
const KEEP_FINISHED = 1_000;

/**
 * The job store of a single replica without Redis: the same rules as the Redis store, in this
 * process's memory. Everything in it, accepted jobs included, is lost when the process ends.
 */
export class MemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, MemoryJob>();

  async create(job: NewJob) {
    const existing = this.jobs.get(job.id);
    if (existing) return { created: false, meta: { ...existing.meta } };
    const pending = job.items.length - job.settled.size;
    const meta: JobMeta = {
      id: job.id,
      owner: job.owner,
      family: job.family,
      state: pending > 0 ? 'QUEUED' : 'DONE',
      total: job.items.length,
      createdCount: 0,
      failedCount: job.settled.size,
      pendingCount: pending,
      createdAt: job.createdAt,
      finishedAt: pending > 0 ? null : job.createdAt,
      fingerprint: job.fingerprint,
    };
    this.jobs.set(job.id, { meta, items: job.items, results: new Map(job.settled), inflight: new Map(), retry: [], next: 0 });
    this.forgetOldFinished();
    return { created: true, meta: { ...meta } };
  }

  async meta(id: string) {
    const job = this.jobs.get(id);
    return job && { ...job.meta };
  }

  async list(owner: string, offset: number, first: number): Promise<JobPage> {
    const mine = [...this.jobs.values()].filter((j) => j.meta.owner === owner).reverse();
    return { jobs: mine.slice(offset, offset + first).map((j) => ({ ...j.meta })), hasNextPage: mine.length > offset + first };
  }

  async results(id: string, offset: number, first: number): Promise<ResultEdge[]> {
    const job = this.jobs.get(id);
    if (!job) return [];
    return job.items.slice(offset, offset + first).map((item, i) => {
      const index = offset + i;
      const stored = job.results.get(index);
      const cancelled = job.meta.state === 'CANCELLED' && !job.inflight.has(index);
      return { index, emailAddress: item.emailAddress, result: stored ?? (cancelled ? cancelledOutcome(item.emailAddress) : null) };
    });
  }

  async claim(id: string, n: number, mark: string, now: number): Promise<ClaimedItem[]> {
    const job = this.jobs.get(id);
    if (!job || (job.meta.state !== 'QUEUED' && job.meta.state !== 'RUNNING')) return [];
    job.meta.state = 'RUNNING';
    const out: ClaimedItem[] = [];
    const take = (index: number) => {
      if (job.results.has(index) || job.inflight.has(index)) return;
      job.inflight.set(index, { mark, claimedAt: now });
      out.push({ jobId: id, index, params: job.items[index]!.params!, claimedAt: now });
    };
    while (out.length < n && job.retry.length > 0) take(job.retry.shift()!);
    while (out.length < n && job.next < job.meta.total) take(job.next++);
    return out;
  }

  async settle(id: string, outcomes: Array<{ index: number; outcome: InvitationOutcome }>, mark: string, now: number): Promise<Settled> {
    const job = this.jobs.get(id);
    if (!job) return { accepted: false, meta: undefined };
    let accepted = false;
    for (const { index, outcome } of outcomes) {
      if (job.inflight.get(index)?.mark !== mark) continue;
      job.inflight.delete(index);
      this.record(job, index, outcome);
      accepted = true;
    }
    this.finishIfEmpty(job, now);
    return { accepted, meta: { ...job.meta } };
  }

  async giveBack(id: string, items: Array<{ index: number; emailAddress: string }>, mark: string, now: number): Promise<Settled> {
    const job = this.jobs.get(id);
    if (!job) return { accepted: false, meta: undefined };
    let accepted = false;
    for (const { index, emailAddress } of items) {
      if (job.inflight.get(index)?.mark !== mark) continue;
      job.inflight.delete(index);
      accepted = true;
      if (job.meta.state === 'CANCELLED') this.record(job, index, cancelledOutcome(emailAddress));
      else job.retry.push(index);
    }
    this.finishIfEmpty(job, now);
    return { accepted, meta: { ...job.meta } };
  }

  async orphans(id: string, mark: string): Promise<OrphanedItem[]> {
    const job = this.jobs.get(id);
    if (!job) return [];
    return [...job.inflight]
      .filter(([, m]) => m.mark !== mark)
      .map(([index, m]) => ({ jobId: id, index, params: job.items[index]!.params!, claimedAt: m.claimedAt, mark: m.mark }));
  }

  async holding(id: string, indexes: number[], mark: string): Promise<number[]> {
    const job = this.jobs.get(id);
    return job ? indexes.filter((index) => job.inflight.get(index)?.mark === mark) : [];
  }

  async adopt(id: string, orphans: OrphanedItem[], mark: string): Promise<OrphanedItem[]> {
    const job = this.jobs.get(id);
    if (!job) return [];
    return orphans.filter((o) => {
      const current = job.inflight.get(o.index);
      if (current?.mark !== o.mark) return false;
      job.inflight.set(o.index, { mark, claimedAt: current.claimedAt });
      return true;
    });
  }

  async cancel(id: string, now: number) {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    if (job.meta.state === 'QUEUED' || job.meta.state === 'RUNNING') {
      const waiting = job.meta.pendingCount - job.inflight.size;
      job.meta.state = 'CANCELLED';
      job.meta.failedCount += waiting;
      job.meta.pendingCount -= waiting;
      job.retry = [];
      this.finishIfEmpty(job, now);
    }
    return { ...job.meta };
  }

  async pendingByOwner(family: string) {
    const sums = new Map<string, number>();
    for (const { meta } of this.jobs.values()) {
      if (meta.pendingCount > 0 && familyKey(meta.family) === family) sums.set(meta.owner, (sums.get(meta.owner) ?? 0) + meta.pendingCount);
    }
    return sums;
  }

  async pendingTotal() {
    let sum = 0;
    for (const { meta } of this.jobs.values()) sum += meta.pendingCount;
    return sum;
  }

  async unfinishedJobs(owner: string) {
    let n = 0;
    for (const { meta } of this.jobs.values()) if (meta.owner === owner && meta.finishedAt === null) n++;
    return n;
  }

  async close() {}

  private record(job: MemoryJob, index: number, outcome: InvitationOutcome) {
    job.results.set(index, outcome);
    if (outcome.kind === 'created') job.meta.createdCount++;
    else job.meta.failedCount++;
    job.meta.pendingCount--;
  }

  private finishIfEmpty(job: MemoryJob, now: number) {
    if (job.meta.pendingCount > 0 || job.meta.finishedAt !== null) return;
    if (job.meta.state !== 'CANCELLED') job.meta.state = 'DONE';
    job.meta.finishedAt = now;
  }

  private forgetOldFinished() {
    const finished = [...this.jobs.values()].filter((j) => j.meta.finishedAt !== null);
    for (const job of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(job.meta.id);
  }
}
