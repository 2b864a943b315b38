import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { lazyModule } from '../lazy-module.ts';
import { ioredis } from '../redis.ts';
import type { Logger } from '../logger.ts';
import { JOBS_PER_REPLICA, type JobSource, type RunEnd } from './job-source.ts';

const bullmq = lazyModule<typeof import('bullmq')>('bullmq');

export interface BullMqSourceOptions {
  redisUrl: string;
  /** One queue per Clerk instance, e.g. `invitations-<hash>`. */
  queueName: string;
  /** How long a replica's hold on a job lasts without renewal: after a crash, the job waits this long (and one stall check) for another replica. */
  lockMs: number;
  logger: Logger;
}

/**
 * One BullMQ job per submission. BullMQ holds each job for one replica at a time (a lock it renews),
 * gives the job of a replica that stopped renewing to another one, and orders waiting jobs by priority.
 * Items never travel through BullMQ: they stay in the job store, claimed a call's worth at a time.
 */
export class BullMqJobSource implements JobSource {
  private readonly queue: Queue;
  private worker: Worker | undefined;
  private readonly connections: Redis[] = [];

  constructor(private readonly options: BullMqSourceOptions) {
    this.queue = new (bullmq().Queue)(options.queueName, { connection: this.connect(), prefix: 'cig:bull' });
    this.queue.on('error', (err) => options.logger.warn({ err: { message: err.message } }, 'queue: BullMQ queue problem'));
  }

  /** BullMQ wants clients that retry forever; the gateway's guard client fails fast on purpose. */
  private connect(): Redis {
    const redis = new (ioredis().Redis)(this.options.redisUrl, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(100 * times, 2000) });
    redis.on('error', () => {});
    this.connections.push(redis);
    return redis;
  }

  async enqueue(id: string, priority: number) {
    // The job id is the submission's: adding it again (a retried submit) does nothing.
    await this.queue.add('job', {}, { jobId: id, priority, removeOnComplete: true, removeOnFail: 1000 });
  }

  start(run: (id: string) => Promise<RunEnd>) {
    this.worker = new (bullmq().Worker)(
      this.options.queueName,
      async (job, token) => {
        const end = await run(job.id!);
        if (end === 'stopped') {
          // Handed back whole: the next replica takes it from where its items stand.
          await job.moveToWait(token);
          throw new (bullmq().WaitingError)();
        }
      },
      {
        connection: this.connect(),
        prefix: 'cig:bull',
        concurrency: JOBS_PER_REPLICA,
        lockDuration: this.options.lockMs,
        stalledInterval: this.options.lockMs,
        // A job whose replica died is never failed for it: its items are settled by evidence on the next one.
        maxStalledCount: Number.MAX_SAFE_INTEGER,
      },
    );
    this.worker.on('error', (err) => this.options.logger.warn({ err: { message: err.message } }, 'queue: BullMQ worker problem'));
  }

  async stop() {
    await this.worker?.close();
    await this.queue.close();
    for (const redis of this.connections) redis.disconnect();
  }
}
