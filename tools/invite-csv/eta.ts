export interface Estimate {
  ms: number;
  /** Only the current wait is known (nothing has settled yet): the real time left is longer. */
  atLeast: boolean;
}

/**
 * Time left for a run whose pace is set by Clerk's hourly allowance, not by request latency: the
 * pace is measured over everything so far, finished rate-limit waits included, and the wait in
 * progress is added in full. After an hour's allowance and its wait, the estimate covers both.
 */
export class EtaEstimator {
  private readonly startedAt: number;
  private settled = 0;
  private waitStartedAt: number | undefined;
  private resumeAt: number | undefined;

  constructor(private readonly now: () => number) {
    this.startedAt = now();
  }

  /** Rows that reached a final outcome. */
  settle(rows: number): void {
    this.settled += rows;
  }

  /** A rate-limit wait starts now and lasts until `resumeAt` (retryAfterSeconds from the gateway). */
  waitUntil(resumeAt: number): void {
    this.waitStartedAt = this.now();
    this.resumeAt = resumeAt;
  }

  resumed(): void {
    this.waitStartedAt = undefined;
    this.resumeAt = undefined;
  }

  estimate(remainingRows: number): Estimate | undefined {
    const now = this.now();
    const wait = this.resumeAt !== undefined ? Math.max(0, this.resumeAt - now) : 0;
    if (remainingRows === 0) return { ms: 0, atLeast: false };
    if (this.settled === 0) return wait > 0 ? { ms: wait, atLeast: true } : undefined;
    const measuredUntil = this.waitStartedAt ?? now;
    const perRow = Math.max(0, measuredUntil - this.startedAt) / this.settled;
    return { ms: wait + remainingRows * perRow, atLeast: false };
  }
}

/** `2h 05m`, `3m 07s`, `12s`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

export function formatEstimate(estimate: Estimate | undefined): string {
  if (!estimate) return '?';
  return `${estimate.atLeast ? '>' : ''}${formatDuration(estimate.ms)}`;
}
