import { formatDuration, formatEstimate } from './eta.ts';
import type { Progress, Reporter } from './run-invites.ts';

export interface ProgressParts {
  eta: string;
  /** Why the run waits, e.g. "rate limited"; empty when it is not waiting. */
  reason: string;
  /** How long until it resumes, e.g. "59m 58s"; empty when it is not waiting. */
  resumeIn: string;
  /** The wall-clock time it resumes, e.g. "5:56:20 AM". */
  resumeAt: string;
}

/** The ETA and the wait, counted down by the time `elapsedMs` since the run reported `p`. */
export function progressParts(p: Progress, elapsedMs = 0, wallNow = Date.now()): ProgressParts {
  const eta = formatEstimate(p.eta && { ...p.eta, ms: Math.max(0, p.eta.ms - elapsedMs) });
  const left = p.resumeAt === undefined ? 0 : p.resumeAt - p.at - elapsedMs;
  if (left <= 0) return { eta, reason: '', resumeIn: '', resumeAt: '' };
  return { eta, reason: p.waitReason ?? 'waiting', resumeIn: formatDuration(left), resumeAt: new Date(wallNow + left).toLocaleTimeString() };
}

/** The ETA and the wait note, as the line reporter prints them. */
export function describeProgress(p: Progress, elapsedMs = 0): { eta: string; note: string } {
  const parts = progressParts(p, elapsedMs);
  return { eta: parts.eta, note: parts.resumeIn ? `${parts.reason}: resuming in ${parts.resumeIn} (at ${parts.resumeAt})` : '' };
}

const bar = (done: number, total: number, width: number) => {
  const filled = total > 0 ? Math.round((done / total) * width) : width;
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
};

/**
 * The progress line, at most `width` columns. A terminal cuts a longer line at its edge, which hid
 * the one thing a waiting run must show: when it resumes. So the line is built from the richest form
 * down, dropping the bar, the clock time, the counts' detail, the wording, the ETA, until one fits; "resuming in"
 * and the countdown are in every form, and only a terminal narrower than them cuts them.
 */
export function renderProgressLine(p: Progress, parts: ProgressParts, width: number): string {
  const settled = p.created + p.failed;
  const count = [
    `${settled}/${p.total} | created ${p.created}  failed ${p.failed}  waiting ${p.waiting}`,
    `${settled}/${p.total} created ${p.created} failed ${p.failed}`,
    `${settled}/${p.total}`,
  ] as const;
  const eta = `ETA ${parts.eta}`;
  const note = parts.resumeIn
    ? ([`${parts.reason}: resuming in ${parts.resumeIn} (at ${parts.resumeAt})`, `${parts.reason}: resuming in ${parts.resumeIn}`, `resuming in ${parts.resumeIn}`] as const)
    : (['', '', ''] as const);
  const join = (...items: string[]) => items.filter(Boolean).join(' | ');
  const forms = [
    join(count[0], eta, note[0]),
    join(count[0], eta, note[1]),
    join(count[1], eta, note[1]),
    join(count[1], eta, note[2]),
    join(count[2], eta, note[2]),
    join(count[2], note[2]),
    note[2] || count[2],
  ];
  const room = width - forms[0]!.length - 1;
  const withBar = room >= 12 ? `${bar(settled, p.total, Math.min(30, room - 1))} ${forms[0]}` : undefined;
  const fits = [withBar, ...forms].find((line) => line !== undefined && line.length <= width);
  if (fits) return fits;
  // Narrower than the shortest form: keep its end, where the countdown is.
  const last = forms.at(-1)!;
  return last.slice(Math.max(0, last.length - width));
}

/**
 * One redrawn status line at the bottom of a terminal, with log lines written above it. Every write
 * while it is shown goes through here: a log line first clears the status line, is written whole with
 * its newline, and then the status line is redrawn, so the two never end up on one line.
 */
export class StatusLine {
  private current = '';

  constructor(
    private readonly stream: Pick<NodeJS.WriteStream, 'write'> & { columns?: number },
    /** Terminal width; the stream's own, else stdout's, else 80. */
    private readonly columns: () => number = () => stream.columns || process.stdout.columns || 80,
  ) {}

  width(): number {
    return this.columns();
  }

  /** Replaces the status line. */
  show(line: string): void {
    this.current = line;
    this.stream.write(`\r\x1b[2K${line}`);
  }

  /** Writes a line above the status line. */
  log(message: string): void {
    this.stream.write(`\r\x1b[2K${message}\n${this.current}`);
  }

  /** Removes the status line, leaving its last text as an ordinary line. */
  end(): void {
    if (this.current) this.stream.write('\n');
    this.current = '';
  }
}

/** The progress line on a terminal, counting down every second while the run waits. */
export function barReporter(status: StatusLine): Reporter {
  let last: { p: Progress; receivedAt: number } | undefined;
  const draw = () => {
    if (!last) return;
    const { p, receivedAt } = last;
    // One column spare: a line that fills the last column makes some terminals wrap before the redraw.
    status.show(renderProgressLine(p, progressParts(p, Date.now() - receivedAt), status.width() - 1));
  };
  // A wait can last an hour; without ticking, the countdown would stand still until it ends.
  let ticker: NodeJS.Timeout | undefined;
  const show = (p: Progress) => {
    last = { p, receivedAt: Date.now() };
    draw();
  };
  return {
    start(p) {
      show(p);
      ticker = setInterval(draw, 1000);
      ticker.unref();
    },
    progress: show,
    log: (message) => status.log(message),
    stop() {
      clearInterval(ticker);
      draw();
      status.end();
    },
  };
}

/** One line per step, for logs and pipes where a redrawn bar would be noise. */
export function lineReporter(write: (line: string) => void = (line) => process.stderr.write(`${line}\n`), verb = 'sending'): Reporter {
  return {
    start: (p) => write(`${verb} ${p.total} rows`),
    progress(p) {
      const { eta, note } = describeProgress(p);
      const settled = p.created + p.failed;
      write(`${settled}/${p.total} settled: created ${p.created}, failed ${p.failed}, waiting ${p.waiting}; ETA ${eta}${note ? `; ${note}` : ''}`);
    },
    log: write,
    stop: () => undefined,
  };
}

export const silentReporter: Reporter = { start() {}, progress() {}, log() {}, stop() {} };
