import { expect, it } from 'vitest';
import type { UpstreamBudget } from '../../src/budget/types.ts';
import type { Clock } from '../../src/clock.ts';

export interface ManualClock extends Clock {
  t: number;
}

export const manualClock = (start = 1_700_000_000_000): ManualClock => ({ t: start, now() { return this.t; } });

const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * What both budgets must do. `make` returns a fresh budget with bulk 25 / single 100 per hour, no margin,
 * on the given clock.
 */
export function budgetBehaviour(make: (clock: ManualClock) => UpstreamBudget | Promise<UpstreamBudget>): void {
  it('spends up to the limit, then says exactly when the oldest spends leave the hour', async () => {
    const clock = manualClock();
    const budget = await make(clock);
    const t0 = clock.t;
    expect(await budget.take('bulk', 1)).toEqual({ ok: true, remaining: 24 });
    clock.t += 10 * MIN;
    for (let i = 0; i < 24; i += 1) expect((await budget.take('bulk', 1)).ok).toBe(true);
    clock.t += 10 * MIN;
    expect(await budget.take('bulk', 1)).toEqual({ ok: false, reason: 'spent', retryAfterMs: t0 + HOUR - clock.t });
    // Two units need the second-oldest spend (t0 + 10 min) to leave too.
    expect(await budget.take('bulk', 2)).toEqual({ ok: false, reason: 'spent', retryAfterMs: t0 + 10 * MIN + HOUR - clock.t });
    // The other channel has its own allowance.
    expect(await budget.take('single', 100)).toEqual({ ok: true, remaining: 0 });
    clock.t = t0 + HOUR - 1;
    expect((await budget.take('bulk', 1)).ok).toBe(false);
    clock.t = t0 + HOUR;
    expect(await budget.take('bulk', 1)).toEqual({ ok: true, remaining: 0 });
    expect((await budget.take('bulk', 1)).ok).toBe(false);
  });

  it('takes all units or none', async () => {
    const budget = await make(manualClock());
    expect((await budget.take('single', 98)).ok).toBe(true);
    expect((await budget.take('single', 3)).ok).toBe(false);
    expect(await budget.take('single', 2)).toEqual({ ok: true, remaining: 0 });
  });

  it('gives exactly the limit to 100 concurrent takes', async () => {
    const budget = await make(manualClock());
    const decisions = await Promise.all(Array.from({ length: 100 }, () => budget.take('bulk', 1)));
    expect(decisions.filter((d) => d.ok)).toHaveLength(25);
    expect((await budget.status('bulk')).remaining).toBe(0);
  });

  it('refunds by dropping the oldest spends', async () => {
    const clock = manualClock();
    const budget = await make(clock);
    const t0 = clock.t;
    await budget.take('bulk', 3);
    clock.t += MIN;
    await budget.take('bulk', 22);
    expect((await budget.take('bulk', 1)).ok).toBe(false);
    await budget.refund('bulk', 4);
    const status = await budget.status('bulk');
    expect(status).toEqual({ channel: 'bulk', limit: 25, remaining: 4, windowMs: HOUR, resetAt: t0 + MIN + HOUR, pausedUntil: null });
    expect((await budget.take('bulk', 4)).ok).toBe(true);
    await budget.refund('single', 0);
  });

  it('pauses a channel until the given time', async () => {
    const clock = manualClock();
    const budget = await make(clock);
    const until = clock.t + 30_000;
    await budget.pause('bulk', until);
    // An earlier pause does not shorten a later one.
    await budget.pause('bulk', clock.t + 1000);
    expect(await budget.take('bulk', 1)).toEqual({ ok: false, reason: 'paused', retryAfterMs: 30_000 });
    expect((await budget.status('bulk')).pausedUntil).toBe(until);
    expect((await budget.take('single', 1)).ok).toBe(true);
    clock.t += 29_999;
    expect(await budget.take('bulk', 1)).toEqual({ ok: false, reason: 'paused', retryAfterMs: 1 });
    clock.t += 1;
    expect(await budget.take('bulk', 1)).toEqual({ ok: true, remaining: 24 });
    expect((await budget.status('bulk')).pausedUntil).toBeNull();
  });

  it('reports status', async () => {
    const clock = manualClock();
    const budget = await make(clock);
    expect(await budget.status('single')).toEqual({ channel: 'single', limit: 100, remaining: 100, windowMs: HOUR, resetAt: null, pausedUntil: null });
    const t0 = clock.t;
    await budget.take('single', 5);
    clock.t += 5 * MIN;
    await budget.take('single', 5);
    expect(await budget.status('single')).toEqual({ channel: 'single', limit: 100, remaining: 90, windowMs: HOUR, resetAt: t0 + HOUR, pausedUntil: null });
    clock.t = t0 + HOUR;
    expect(await budget.status('single')).toEqual({ channel: 'single', limit: 100, remaining: 95, windowMs: HOUR, resetAt: t0 + 5 * MIN + HOUR, pausedUntil: null });
  });

  it('rejects takes that could never fit', async () => {
    const budget = await make(manualClock());
    await expect(budget.take('bulk', 26)).rejects.toThrow(RangeError);
    await expect(budget.take('bulk', 0)).rejects.toThrow(RangeError);
    await expect(budget.refund('bulk', -1)).rejects.toThrow(RangeError);
  });

  it('simulates a day of demand without exceeding the hourly allowance in any hour', async () => {
    const clock = manualClock();
    const budget = await make(clock);
    const spends: number[] = [];
    for (let minute = 0; minute < 24 * 60; minute += 1) {
      clock.t += MIN;
      for (let i = 0; i < 3; i += 1) if ((await budget.take('bulk', 1)).ok) spends.push(clock.t);
    }
    const worstHour = Math.max(...spends.map((t) => spends.filter((s) => s >= t && s < t + HOUR).length));
    expect(worstHour).toBe(25);
    expect(spends.length).toBe(24 * 25);
  });
}

const WINDOW = 10_000;

/**
 * What both budgets must do with a shortened window (UPSTREAM_BUDGET_WINDOW=10s). `make` returns a fresh
 * budget with bulk 25 / single 100 per window, the given window and the default margin.
 */
export function budgetWindowBehaviour(make: (clock: ManualClock, windowMs: number) => UpstreamBudget | Promise<UpstreamBudget>): void {
  // The hour's 10 s margin shrinks with the window, down to its 100 ms floor.
  const kept = WINDOW + 100;

  it('yields exactly the configured calls in a 10 s window, refuses the next, and refills after the window', async () => {
    const clock = manualClock();
    const budget = await make(clock, WINDOW);
    const t0 = clock.t;
    for (let i = 0; i < 25; i += 1) {
      expect(await budget.take('bulk', 1)).toEqual({ ok: true, remaining: 24 - i });
      clock.t += 200;
    }
    expect(await budget.take('bulk', 1)).toEqual({ ok: false, reason: 'spent', retryAfterMs: t0 + kept - clock.t });
    expect(await budget.take('single', 100)).toEqual({ ok: true, remaining: 0 });
    expect((await budget.take('single', 1)).ok).toBe(false);
    expect(await budget.status('bulk')).toMatchObject({ limit: 25, remaining: 0, windowMs: kept, resetAt: t0 + kept });
    clock.t = t0 + kept - 1;
    expect((await budget.take('bulk', 1)).ok).toBe(false);
    clock.t = t0 + kept;
    expect(await budget.take('bulk', 1)).toEqual({ ok: true, remaining: 0 });
    // The single channel spent all at once; it comes back whole one window later.
    clock.t = t0 + 25 * 200 + kept;
    expect(await budget.take('single', 100)).toEqual({ ok: true, remaining: 0 });
  });

  it('spends the whole budget in every 10 s window under steady demand, never more', async () => {
    const clock = manualClock();
    const budget = await make(clock, WINDOW);
    const spends: number[] = [];
    const windows = 6;
    for (let step = 0; step * 100 < windows * kept; step += 1) {
      for (let i = 0; i < 3; i += 1) if ((await budget.take('bulk', 1)).ok) spends.push(clock.t);
      clock.t += 100;
    }
    // With the hour's full 10 s margin this would be 25 per 20 s: half the budget.
    expect(spends.length).toBe(windows * 25);
    const worst = Math.max(...spends.map((t) => spends.filter((s) => s >= t && s < t + WINDOW).length));
    expect(worst).toBe(25);
  });
}
