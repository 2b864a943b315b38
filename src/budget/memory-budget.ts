import { assertLimits, assertRefund, assertUnits, type BudgetWindowOptions, budgetWindowMs, limitOf } from './window.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { BudgetDecision, Channel, ChannelStatus, UpstreamBudget } from './types.ts';

interface ChannelLog {
  limit: number;
  /** One timestamp per unit spent, oldest first. At most `limit` long, so plain arrays are fine. */
  spends: number[];
  pausedUntil: number;
}

/**
 * The budget for a single replica. Every method runs synchronously inside, so concurrent takes in one
 * process never both get the last unit. See `RedisBudget` for the semantics, which are the same.
 */
export class MemoryBudget implements UpstreamBudget {
  private readonly channels: Record<Channel, ChannelLog>;
  private readonly clock: Clock;
  private readonly windowMs: number;

  constructor(options: BudgetWindowOptions) {
    assertLimits(options);
    this.clock = options.clock ?? systemClock;
    this.windowMs = budgetWindowMs(options);
    const log = (channel: Channel): ChannelLog => ({ limit: limitOf(options, channel), spends: [], pausedUntil: 0 });
    this.channels = { bulk: log('bulk'), single: log('single') };
  }

  async take(channel: Channel, units: number): Promise<BudgetDecision> {
    const log = this.channels[channel];
    assertUnits(channel, units, log.limit);
    const now = this.clock.now();
    if (log.pausedUntil > now) return { ok: false, reason: 'paused', retryAfterMs: log.pausedUntil - now };
    this.prune(log, now);
    const excess = log.spends.length + units - log.limit;
    // The excess-th oldest spend is the last one that must leave before `units` fit.
    if (excess > 0) return { ok: false, reason: 'spent', retryAfterMs: log.spends[excess - 1]! + this.windowMs - now };
    const last = log.spends[log.spends.length - 1];
    // A clock that steps back must not unorder the log.
    const at = last !== undefined && last > now ? last : now;
    for (let i = 0; i < units; i += 1) log.spends.push(at);
    return { ok: true, remaining: log.limit - log.spends.length };
  }

  /** Drops the oldest spends: see `RedisBudget.refund` for why that never makes the log too loose. */
  async refund(channel: Channel, units: number): Promise<void> {
    assertRefund(channel, units);
    const log = this.channels[channel];
    this.prune(log, this.clock.now());
    log.spends.splice(0, units);
  }

  async pause(channel: Channel, untilMs: number): Promise<void> {
    const log = this.channels[channel];
    log.pausedUntil = Math.max(log.pausedUntil, untilMs);
  }

  async status(channel: Channel): Promise<ChannelStatus> {
    const log = this.channels[channel];
    const now = this.clock.now();
    this.prune(log, now);
    const oldest = log.spends[0];
    return {
      channel,
      limit: log.limit,
      remaining: log.limit - log.spends.length,
      windowMs: this.windowMs,
      resetAt: oldest === undefined ? null : oldest + this.windowMs,
      pausedUntil: log.pausedUntil > now ? log.pausedUntil : null,
    };
  }

  async close(): Promise<void> {}

  private prune(log: ChannelLog, now: number): void {
    let gone = 0;
    while (gone < log.spends.length && log.spends[gone]! + this.windowMs <= now) gone += 1;
    if (gone > 0) log.spends.splice(0, gone);
  }
}
