import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

function tryRun(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/**
 * With taskset (Linux) and two or more CPUs, the server under test gets the last CPU to itself and the
 * load generator and the emulator share the rest, so each server is measured on the same one core.
 */
export interface Pinning {
  /** Moves a started server (every thread of it) onto its own CPU; a no-op when not pinned. */
  pinServer(pid: number | undefined): void;
  description: string;
  /** Gives this process its original CPUs back. */
  release(): void;
}

export function pinForLoadTest(): Pinning {
  const cpus = os.cpus().length;
  const original = tryRun('taskset', ['-p', '-c', String(process.pid)])?.split(':').at(-1)?.trim();
  if (cpus < 2 || !original) {
    return { pinServer: () => {}, description: 'not pinned (needs taskset and at least two CPUs)', release: () => {} };
  }
  const last = cpus - 1;
  const rest = last === 1 ? '0' : `0-${last - 1}`;
  tryRun('taskset', ['-p', '-c', rest, String(process.pid)]);
  return {
    // Servers start on every CPU (four tsx start-ups on one CPU take twice as long) and move once ready.
    pinServer: (pid) => void (pid !== undefined && tryRun('taskset', ['-a', '-p', '-c', String(last), String(pid)])),
    description: `server under test pinned to CPU ${last}; load generator and emulator on CPU ${rest}`,
    release: () => void tryRun('taskset', ['-p', '-c', original, String(process.pid)]),
  };
}

const ticksPerSecond = Number(tryRun('getconf', ['CLK_TCK']) ?? 100) || 100;

/** CPU seconds (user + system, all threads) a process has used so far; undefined off Linux. */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces; the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}
