import { batchWindowCapMs } from './batcher/batcher.ts';
import type { Config } from './config.ts';

/** The longest a batch may wait under this config, as the lanes compute it. */
export const configuredBatchWindowCapMs = (config: Config): number =>
  batchWindowCapMs({
    batchWindowMs: config.batching.windowMs,
    batchWindowMaxMs: config.batching.windowMaxMs,
    requestTimeoutMs: config.server.requestTimeoutMs,
    upstreamTimeoutMs: config.upstream.timeoutMs,
  });

/**
 * Settings the gateway accepts but cannot honour as given, because another setting bounds them. They
 * are valid on their own, so they start; the warning says which value is in effect and why.
 */
export function clampWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const cap = configuredBatchWindowCapMs(config);
  if (cap !== config.batching.windowMaxMs) {
    const room = config.server.requestTimeoutMs - 2 * config.upstream.timeoutMs;
    warnings.push(
      `BATCH_WINDOW_MAX_MS=${config.batching.windowMaxMs} is clamped to ${cap} ms: a batched item must keep time for two Clerk calls, and ` +
        `REQUEST_TIMEOUT_MS=${config.server.requestTimeoutMs} − 2 × UPSTREAM_TIMEOUT_MS=${config.upstream.timeoutMs} leaves ${room} ms` +
        (cap > room ? ` (less than BATCH_WINDOW_MS=${config.batching.windowMs}, which wins)` : ''),
    );
  }
  if (config.upstream.generalPer10s !== undefined) {
    const share = Math.floor((config.upstream.generalPer10s * (100 - config.upstream.generalReservePercent)) / 100);
    if (share < 1) {
      warnings.push(
        `UPSTREAM_GENERAL_RESERVE_PERCENT=${config.upstream.generalReservePercent} of UPSTREAM_GENERAL_PER_10S=${config.upstream.generalPer10s} ` +
          'leaves the gateway less than one request per 10 s; it uses 1',
      );
    }
  }
  return warnings;
}
