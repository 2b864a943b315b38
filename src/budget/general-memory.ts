import {
  assertFamily,
  assertGeneralUnits,
  CALL_FAMILIES,
  type CallFamily,
  type GeneralBudget,
  type GeneralBudgetOptions,
  type GeneralStatus,
  type ResolvedGeneral,
  resolveGeneral,
} from './general.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { BudgetDecision } from './types.ts';

/**
 * The general allowance of a single replica. Every method runs synchronously inside, so concurrent takes
 * in one process never both get the last unit. Same semantics as `RedisGeneralBudget`.
 */
export class MemoryGeneralBudget implements GeneralBudget {
  private readonly resolved: ResolvedGeneral;
  private readonly clock: Clock;
  /** One timestamp per request, oldest first. */
  private readonly spends: number[] = [];
  private readonly pausedUntil = new Map<CallFamily, number>();

  constructor(options: GeneralBudgetOptions) {
    this.resolved = resolveGeneral(options);
    this.clock = options.clock ?? systemClock;
  }

  async take(family: CallFamily, units: number, keep = 0): Promise<BudgetDecision> {
    assertFamily(family);
    const { windowMs } = this.resolved;
    assertGeneralUnits(units, this.resolved.limit);
    // Whatever is held back, a take that fits the whole limit can still fit.
    const limit = this.resolved.limit - Math.max(0, Math.min(keep, this.resolved.limit - units));
    const now = this.clock.now();
    const paused = this.pausedUntil.get(family) ?? 0;
    if (paused > now) return { ok: false, reason: 'paused', retryAfterMs: paused - now };
    this.prune(now);
    const excess = this.spends.length + units - limit;
    // The excess-th oldest spend is the last one that must leave before `units` fit.
    if (excess > 0) return { ok: false, reason: 'spent', retryAfterMs: this.spends[excess - 1]! + windowMs - now };
    this.record(units, now);
    return { ok: true, remaining: limit - this.spends.length };
  }

  async charge(units: number): Promise<void> {
    if (!Number.isInteger(units) || units < 1) throw new RangeError(`general budget: cannot charge ${units} units`);
    const now = this.clock.now();
    this.prune(now);
    this.record(units, now);
  }

  async pause(family: CallFamily, untilMs: number): Promise<void> {
    assertFamily(family);
    this.pausedUntil.set(family, Math.max(this.pausedUntil.get(family) ?? 0, untilMs));
  }

  async status(): Promise<GeneralStatus> {
    const now = this.clock.now();
    this.prune(now);
    const { clerkLimit, limit, windowMs } = this.resolved;
    const oldest = this.spends[0];
    return {
      clerkLimit,
      limit,
      remaining: Math.max(0, limit - this.spends.length),
      windowMs,
      resetAt: oldest === undefined ? null : oldest + windowMs,
      paused: CALL_FAMILIES.map((family) => {
        const until = this.pausedUntil.get(family) ?? 0;
        return { family, pausedUntil: until > now ? until : null };
      }),
    };
  }

  private record(units: number, now: number): void {
    const last = this.spends[this.spends.length - 1];
    // A clock that steps back must not unorder the log.
    const at = last !== undefined && last > now ? last : now;
    for (let i = 0; i < units; i += 1) this.spends.push(at);
  }

  private prune(now: number): void {
    let gone = 0;
    while (gone < this.spends.length && this.spends[gone]! + this.resolved.windowMs <= now) gone += 1;
    if (gone > 0) this.spends.splice(0, gone);
  }
}
