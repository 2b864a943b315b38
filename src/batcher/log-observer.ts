import type { Channel } from '../budget/types.ts';
import type { Logger } from '../logger.ts';
import type { DispatchObserver } from './dispatch-types.ts';

/** Runs several observers as one. */
export function composeObservers(...observers: DispatchObserver[]): DispatchObserver {
  return {
    upstreamCall: (event) => observers.forEach((o) => o.upstreamCall?.(event)),
    budgetRefused: (event) => observers.forEach((o) => o.budgetRefused?.(event)),
    reconciled: (event) => observers.forEach((o) => o.reconciled?.(event)),
  };
}

/**
 * Logs each Clerk call (info, or warn when it failed) and a channel running dry once (not once per refused item), again only
 * after the channel has carried a call in between.
 */
export function logObserver(logger: Logger): DispatchObserver {
  const dry = new Set<Channel>();
  return {
    upstreamCall({ channel, items, result, ms, status, traceId: clerkTraceId, requestIds }) {
      dry.delete(channel);
      const level = result === 'ok' ? 'info' : 'warn';
      if (!logger.isLevelEnabled(level)) return;
      logger[level]({ channel, items, result, ms: Math.round(ms), status, clerkTraceId, requestIds }, `clerk ${channel} call: ${result}`);
    },
    budgetRefused({ channel, reason, retryAfterMs }) {
      if (dry.has(channel)) return;
      dry.add(channel);
      const retryAfterSeconds = Math.ceil(retryAfterMs / 1000);
      logger.warn({ channel, reason, retryAfterSeconds }, `upstream ${channel} channel is dry (${reason}); next call admitted in ${retryAfterSeconds} s`);
    },
    reconciled({ found, resent, unknown }) {
      logger.warn({ found, resent, unknown }, 'settled a Clerk call with an unknown outcome');
    },
  };
}
