import { readFile, rename, writeFile } from 'node:fs/promises';
import type { OutcomeCode } from './types.ts';

/**
 * What a row reached. SENDING is written before a request leaves and replaced when its answer is in,
 * so a run killed mid-request leaves SENDING behind, which a rerun treats like OUTCOME_UNKNOWN.
 */
export type StateOutcome = OutcomeCode | 'SENDING';

export interface StateEntry {
  line: number;
  fingerprint: string;
  outcome: StateOutcome;
  invitationId?: string;
  message?: string;
  /** Whether sending the same row again can succeed (the gateway's `retryable`). */
  retryable: boolean;
  /** When the request left, for SENDING and OUTCOME_UNKNOWN: an invitation created before it is not this row's. */
  sentAt?: string;
  updatedAt: string;
}

interface StateFileV1 {
  version: 1;
  /** The gateway the rows were sent to: a state file must not make a run against another one skip rows. */
  gatewayUrl: string;
  /** Keyed by lower-cased address. */
  rows: Record<string, StateEntry>;
}

export class StateFileError extends Error {
  override name = 'StateFileError';
}

export function parseState(text: string, path: string, gatewayUrl: string): Map<string, StateEntry> {
  let data: Partial<StateFileV1>;
  try {
    data = JSON.parse(text) as Partial<StateFileV1>;
  } catch {
    throw new StateFileError(`${path} is not valid JSON; move it away to start over (rows it recorded as created would be sent again)`);
  }
  if (data.version !== 1 || typeof data.rows !== 'object' || data.rows === null) {
    throw new StateFileError(`${path} is not a state file of this tool (version 1)`);
  }
  if (data.gatewayUrl !== gatewayUrl) {
    throw new StateFileError(`${path} records a run against ${data.gatewayUrl}, not ${gatewayUrl}; pass --url ${data.gatewayUrl} to resume it, or use a copy of the CSV for the other gateway`);
  }
  return new Map(Object.entries(data.rows).map(([key, entry]) => [key, upgradeEntry(entry)]));
}

/**
 * Earlier versions wrote PENDING for a row they had not sent. It never meant the row was settled,
 * whatever `retryable` says, so it is read as NOT_SENT and sent again.
 */
function upgradeEntry(entry: StateEntry): StateEntry {
  return (entry.outcome as string) === 'PENDING' ? { ...entry, outcome: 'NOT_SENT', retryable: true } : entry;
}

export function serializeState(rows: ReadonlyMap<string, StateEntry>, gatewayUrl: string): string {
  const file: StateFileV1 = { version: 1, gatewayUrl, rows: Object.fromEntries(rows) };
  return `${JSON.stringify(file, null, 1)}\n`;
}

/** The outcome of every row sent so far, saved after every request so an interrupted run can resume. */
export class StateStore {
  private constructor(
    readonly path: string,
    private readonly gatewayUrl: string,
    private readonly rows: Map<string, StateEntry>,
    private readonly clock: () => number,
  ) {}

  /** Reads the state file, or starts an empty state when there is none. */
  static async open(path: string, gatewayUrl: string, clock: () => number = Date.now): Promise<StateStore> {
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new StateFileError(`cannot read ${path}: ${(error as Error).message}`);
    }
    const rows = text === undefined ? new Map<string, StateEntry>() : parseState(text, path, gatewayUrl);
    return new StateStore(path, gatewayUrl, rows, clock);
  }

  get(key: string): StateEntry | undefined {
    return this.rows.get(key);
  }

  set(key: string, entry: Omit<StateEntry, 'updatedAt'>): void {
    this.rows.set(key, { ...entry, updatedAt: new Date(this.clock()).toISOString() });
  }

  /** Puts back what a row had before a request that provably did nothing. */
  restore(key: string, previous: StateEntry | undefined): void {
    if (previous) this.rows.set(key, previous);
    else this.rows.delete(key);
  }

  /** Write-then-rename, so a crash mid-write leaves the previous state rather than half a file. */
  async save(): Promise<void> {
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, serializeState(this.rows, this.gatewayUrl));
    await rename(temporary, this.path);
  }
}
