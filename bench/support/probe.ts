/**
 * Preloaded (`--import`) into every server the overhead scenario measures. Over the IPC channel the
 * bench asks `probe` and the server answers with its own CPU time and memory, so CPU per request is
 * read in microseconds from the process that did the work, and heap (which /proc cannot show) is known.
 */
export interface ProbeReading {
  /** User + system CPU time of the whole process (every thread), in microseconds. */
  cpuUs: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
}

if (process.send) {
  process.on('message', (message) => {
    if (message !== 'probe' && message !== 'probe-gc') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    if (message === 'probe-gc' && gc) {
      gc();
      gc();
    }
    const { user, system } = process.cpuUsage();
    const { rss, heapUsed, heapTotal } = process.memoryUsage();
    process.send!({ probe: { cpuUs: user + system, rss, heapUsed, heapTotal } satisfies ProbeReading });
  });
  // The channel must not keep a server alive that was told to stop.
  process.channel?.unref();
}
