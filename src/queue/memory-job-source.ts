import { JOBS_PER_REPLICA, type JobSource, type RunEnd } from './job-source.ts';

/** The jobs of a single replica without Redis, drained in this process; lost when it ends. */
export class MemoryJobSource implements JobSource {
  private readonly waiting: Array<{ id: string; priority: number; seq: number }> = [];
  private readonly running = new Set<Promise<void>>();
  private run: ((id: string) => Promise<RunEnd>) | undefined;
  private seq = 0;
  private stopped = false;

  async enqueue(id: string, priority: number) {
    if (this.waiting.some((w) => w.id === id)) return;
    this.waiting.push({ id, priority, seq: this.seq++ });
    this.waiting.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    this.pump();
  }

  start(run: (id: string) => Promise<RunEnd>) {
    this.run = run;
    this.pump();
  }

  async stop() {
    this.stopped = true;
    await Promise.allSettled([...this.running]);
  }

  private pump() {
    while (this.run && !this.stopped && this.running.size < JOBS_PER_REPLICA && this.waiting.length > 0) {
      const { id, priority } = this.waiting.shift()!;
      const job: Promise<void> = this.run(id)
        .then((end) => {
          if (end === 'stopped') this.waiting.unshift({ id, priority, seq: -1 });
        })
        .catch(() => {})
        .finally(() => {
          this.running.delete(job);
          this.pump();
        });
      this.running.add(job);
    }
  }
}
