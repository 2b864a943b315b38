import type { ProbeReading } from '../support/probe.ts';
import type { Slot } from './overhead-load.ts';

// The overhead scenario's shapes, shared by the run, its report and its targets.

export interface OverheadSettings {
  connections: number;
  /** Each row's load before the first round, once: a fresh server's first seconds (JIT) cost up to twice the steady CPU. */
  firstWarmSeconds: number;
  warmSeconds: number;
  measureSeconds: number;
  rounds: number;
  /** Default BATCH_WINDOW_MS: the p99 target allows the gateway this much more than plain. */
  batchWindowMs: number;
}

/** A server's memory at ready, right after its last measured run, and the largest RSS any probe saw. */
export interface MemorySeen {
  ready: ProbeReading;
  after?: ProbeReading;
  /** After all rounds and two forced full collections: the heap the server really keeps. */
  collected?: ProbeReading;
  peakRss: number;
}

/** A row's median of each measure over the rounds; every round stays in results.json. */
export interface RowSummary {
  key: string;
  label: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  busyPercent: number;
  failed: number;
  upstream: { bulkCalls: number; singleCalls: number; items: number; created: number; invitationsPerCall: number } | null;
  ok: number;
  rounds: Slot[];
}
