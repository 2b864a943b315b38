import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ProbeReading } from './probe.ts';
import { freePort, repoRoot, type ServerProcess } from './processes.ts';

/** A server process the overhead scenario can ask for its own CPU time and memory. */
export interface ProbedServer extends ServerProcess {
  probe(): Promise<ProbeReading>;
  /** The same after two full collections: what the heap still holds, garbage aside. */
  probeAfterGc(): Promise<ProbeReading>;
}

const probeModule = new URL('./probe.ts', import.meta.url).href;
const running = new Set<ChildProcess>();
// A crashed run must not leave servers behind holding ports; only children started here are touched.
process.once('exit', () => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
});

/**
 * Forks `entry` (a file under the repo: a .ts file runs through tsx as `npm run dev` runs it, a built .js
 * file as it is, since tsx leaves it untouched) with the probe preloaded and an IPC channel, on a free
 * loopback port; resolves once `healthPath` answers.
 */
export async function startProbedServer(entry: string, env: Record<string, string>, healthPath: string, timeoutMs = 180_000): Promise<ProbedServer> {
  const port = await freePort();
  const child = fork(entry, [], {
    cwd: repoRoot,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    // --expose-gc only makes gc() callable, for probeAfterGc; V8 collects as it would without it.
    execArgv: ['--expose-gc', '--import', 'tsx', '--import', probeModule],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (d) => (output = (output + d).slice(-8_000)));
  child.stderr!.on('data', (d) => (output = (output + d).slice(-8_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    running.delete(child);
  };
  const url = `http://127.0.0.1:${port}`;
  const giveUp = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited early (${child.exitCode}):\n${output}`);
    if (await fetch(url + healthPath).then((r) => r.ok, () => false)) break;
    if (Date.now() > giveUp) {
      await stop();
      throw new Error(`${entry} did not start within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const ask = (request: 'probe' | 'probe-gc') =>
    new Promise<ProbeReading>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${entry} did not answer the probe:\n${output}`)), 10_000);
      const onMessage = (message: unknown) => {
        if (typeof message !== 'object' || message === null || !('probe' in message)) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve((message as { probe: ProbeReading }).probe);
      };
      child.on('message', onMessage);
      child.send(request);
    });
  return { url, child, stop, probe: () => ask('probe'), probeAfterGc: () => ask('probe-gc') };
}

/** Resident set size of any process in bytes, from /proc; undefined off Linux. */
export function rssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
