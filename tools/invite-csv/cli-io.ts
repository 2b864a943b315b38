import type { Reporter } from './run-invites.ts';

/** The tool's exit statuses (documented in USAGE). */
export const EXIT_OK = 0;
export const EXIT_NOT_ALL_CREATED = 1;
export const EXIT_USAGE = 2;
/** Stopped before the end: interrupted, or the gateway unreachable. A rerun continues. */
export const EXIT_STOPPED = 3;

/** Everything the CLI touches outside its arguments, so tests can run it in process. */
export interface CliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Progress display; default: one line per step on `err`. */
  reporter?: () => Reporter;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  stopSignal?: AbortSignal;
  abortSignal?: AbortSignal;
}
