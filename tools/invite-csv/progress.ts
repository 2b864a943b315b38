import cliProgress from 'cli-progress';
import { formatDuration, formatEstimate } from './eta.ts';
import type { Progress, Reporter } from './run-invites.ts';

/** The ETA and the wait note, counted down by the time `elapsedMs` since the run reported `p`. */
export function describeProgress(p: Progress, elapsedMs = 0): { eta: string; note: string } {
  const eta = formatEstimate(p.eta && { ...p.eta, ms: Math.max(0, p.eta.ms - elapsedMs) });
  const left = p.resumeAt === undefined ? 0 : p.resumeAt - p.at - elapsedMs;
  if (left <= 0) return { eta, note: '' };
  const until = new Date(Date.now() + left).toLocaleTimeString();
  return { eta, note: `${p.waitReason ?? 'waiting'}: resuming in ${formatDuration(left)} (at ${until})` };
}

/**
 * A redrawn bar for terminals. cli-progress's own ETA assumes a steady pace, which rate-limit waits
 * break, so the bar shows ours. MultiBar rather than SingleBar because only it can log above the bar.
 */
export function barReporter(stream: NodeJS.WriteStream = process.stderr): Reporter {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: ' {bar} {value}/{total} | created {created}  failed {failed}  waiting {waiting} | ETA {etaText}{note}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | undefined;
  let last: { p: Progress; receivedAt: number } | undefined;
  const payload = () => {
    if (!last) return {};
    const { p, receivedAt } = last;
    const { eta, note } = describeProgress(p, Date.now() - receivedAt);
    return { created: p.created, failed: p.failed, waiting: p.waiting, etaText: eta, note: note ? `  ${note}` : '' };
  };
  // A wait can last an hour; without ticking, the countdown would stand still until it ends.
  const ticker = setInterval(() => bar?.update(payload()), 1000);
  ticker.unref();
  const show = (p: Progress) => {
    last = { p, receivedAt: Date.now() };
    bar?.update(p.created + p.failed, payload());
  };
  return {
    start(p) {
      last = { p, receivedAt: Date.now() };
      bar = multi.create(p.total, p.created + p.failed, payload());
    },
    progress: show,
    log: (message) => multi.log(`${message}\n`),
    stop() {
      clearInterval(ticker);
      multi.stop();
    },
  };
}

/** One line per step, for logs and pipes where a redrawn bar would be noise. */
export function lineReporter(write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Reporter {
  return {
    start: (p) => write(`sending ${p.total} rows`),
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
