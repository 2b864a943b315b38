import { batchWindowCapMs } from './batcher/batcher.ts';
import type { Config } from './config.ts';

/**
 * Settings the gateway accepts but cannot honour as given, because another setting bounds them. They
 * are valid on their own, so they start; the warning says which value is in effect and why.
 */
export function clampWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const cap = batchWindowCapMs(config);
  if (cap !== config.batchWindowMaxMs) {
    const room = config.requestTimeoutMs - 2 * config.upstreamTimeoutMs;
    warnings.push(
      `BATCH_WINDOW_MAX_MS=${config.batchWindowMaxMs} is clamped to ${cap} ms: a batched item must keep time for two Clerk calls, and ` +
        `REQUEST_TIMEOUT_MS=${config.requestTimeoutMs} − 2 × UPSTREAM_TIMEOUT_MS=${config.upstreamTimeoutMs} leaves ${room} ms` +
        (cap > room ? ` (less than BATCH_WINDOW_MS=${config.batchWindowMs}, which wins)` : ''),
    );
  }
  if (config.upstreamGeneralPer10s !== undefined) {
    const share = Math.floor((config.upstreamGeneralPer10s * (100 - config.upstreamGeneralReservePercent)) / 100);
    if (share < 1) {
      warnings.push(
        `UPSTREAM_GENERAL_RESERVE_PERCENT=${config.upstreamGeneralReservePercent} of UPSTREAM_GENERAL_PER_10S=${config.upstreamGeneralPer10s} ` +
          'leaves the gateway less than one request per 10 s; it uses 1',
      );
    }
  }
  return warnings;
}
