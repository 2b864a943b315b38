import { expect, it } from 'vitest';
import type { GeneralBudget } from '../../src/budget/general.ts';
import { type ManualClock, manualClock } from './behaviour.ts';

const S = 1000;
const unpaused = [
  { family: 'list', pausedUntil: null },
  { family: 'users', pausedUntil: null },
  { family: 'revoke', pausedUntil: null },
];

/**
 * What both general budgets must do. `make` returns a fresh budget for Clerk's development limit
 * (100 / 10 s) with the given reserve (percent) and no margin, on the given clock.
 */
export function generalBehaviour(make: (clock: ManualClock, reservePercent: number) => GeneralBudget | Promise<GeneralBudget>): void {
  it('spends the whole development limit within 10 s, then says exactly when the oldest spend leaves', async () => {
    const clock = manualClock();
    const budget = await make(clock, 0);
    const t0 = clock.t;
    expect(await budget.take('list', 1)).toEqual({ ok: true, remaining: 99 });
    clock.t += 4 * S;
    for (let i = 0; i < 49; i += 1) expect((await budget.take('users', 2)).ok).toBe(true);
    expect(await budget.take('list', 1)).toEqual({ ok: true, remaining: 0 });
    expect(await budget.take('revoke', 1)).toEqual({ ok: false, reason: 'spent', retryAfterMs: t0 + 10 * S - clock.t });
    // Two units need the second-oldest spend (t0 + 4 s) to leave as well.
    expect(await budget.take('users', 2)).toEqual({ ok: false, reason: 'spent', retryAfterMs: t0 + 4 * S + 10 * S - clock.t });
    clock.t = t0 + 10 * S - 1;
    expect((await budget.take('list', 1)).ok).toBe(false);
    clock.t = t0 + 10 * S;
    expect(await budget.take('list', 1)).toEqual({ ok: true, remaining: 0 });
    expect((await budget.take('list', 1)).ok).toBe(false);
  });

  it('keeps the reserve for the customer\'s own app out of reach', async () => {
    const budget = await make(manualClock(), 30);
    const decisions = await Promise.all(Array.from({ length: 100 }, () => budget.take('list', 1)));
    expect(decisions.filter((d) => d.ok)).toHaveLength(70);
    expect(await budget.status()).toMatchObject({ clerkLimit: 100, limit: 70, remaining: 0 });
  });

  it('gives exactly the limit to 200 concurrent takes of mixed families, all or nothing per take', async () => {
    const budget = await make(manualClock(), 0);
    const decisions = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? budget.take('users', 2) : budget.take(i % 3 === 1 ? 'list' : 'revoke', 1))),
    );
    const units = decisions.reduce((sum, d, i) => sum + (d.ok ? (i % 3 === 0 ? 2 : 1) : 0), 0);
    expect(units).toBeLessThanOrEqual(100);
    expect(units).toBeGreaterThanOrEqual(99);
    expect((await budget.status()).remaining).toBe(100 - units);
  });

  it('counts charged creates against reads, even past the limit, and never refuses a charge', async () => {
    const clock = manualClock();
    const budget = await make(clock, 50);
    const t0 = clock.t;
    await budget.charge(30);
    clock.t += S;
    await budget.charge(30);
    expect((await budget.status()).remaining).toBe(0);
    expect(await budget.take('list', 1)).toEqual({ ok: false, reason: 'spent', retryAfterMs: t0 + 10 * S - clock.t });
    // 60 logged against a limit of 50: a read waits until 11 of them have left, which takes the first charge.
    clock.t = t0 + 10 * S - 1;
    expect((await budget.take('list', 1)).ok).toBe(false);
    clock.t = t0 + 10 * S;
    expect(await budget.take('list', 1)).toEqual({ ok: true, remaining: 19 });
    await budget.charge(25);
    expect(await budget.take('list', 1)).toEqual({ ok: false, reason: 'spent', retryAfterMs: S });
  });

  it('pauses one family until the given time and leaves the others alone', async () => {
    const clock = manualClock();
    const budget = await make(clock, 50);
    await budget.pause('list', clock.t + 30 * S);
    // An earlier pause does not shorten a later one.
    await budget.pause('list', clock.t + S);
    expect(await budget.take('list', 1)).toEqual({ ok: false, reason: 'paused', retryAfterMs: 30 * S });
    expect(await budget.take('users', 2)).toEqual({ ok: true, remaining: 48 });
    expect((await budget.status()).paused).toEqual([
      { family: 'list', pausedUntil: clock.t + 30 * S },
      { family: 'users', pausedUntil: null },
      { family: 'revoke', pausedUntil: null },
    ]);
    clock.t += 30 * S - 1;
    expect(await budget.take('list', 1)).toEqual({ ok: false, reason: 'paused', retryAfterMs: 1 });
    clock.t += 1;
    expect(await budget.take('list', 1)).toEqual({ ok: true, remaining: 49 });
    expect((await budget.status()).paused).toEqual(unpaused);
  });

  it('reports status', async () => {
    const clock = manualClock();
    const budget = await make(clock, 50);
    expect(await budget.status()).toEqual({ clerkLimit: 100, limit: 50, remaining: 50, windowMs: 10 * S, resetAt: null, paused: unpaused });
    const t0 = clock.t;
    await budget.take('list', 1);
    clock.t += 3 * S;
    await budget.take('users', 2);
    expect(await budget.status()).toMatchObject({ remaining: 47, resetAt: t0 + 10 * S });
    clock.t = t0 + 10 * S;
    expect(await budget.status()).toMatchObject({ remaining: 48, resetAt: t0 + 13 * S });
  });

  it('rejects takes that could never fit, unknown families and bad charges', async () => {
    const budget = await make(manualClock(), 50);
    await expect(budget.take('list', 51)).rejects.toThrow(RangeError);
    await expect(budget.take('list', 0)).rejects.toThrow(RangeError);
    await expect(budget.take('creates' as never, 1)).rejects.toThrow(/unknown call family/);
    await expect(budget.pause('x' as never, 1)).rejects.toThrow(/unknown call family/);
    await expect(budget.charge(0)).rejects.toThrow(RangeError);
  });

  it('simulates a minute of steady demand without any 10 s span holding more than the limit', async () => {
    const clock = manualClock();
    const budget = await make(clock, 0);
    const spends: number[] = [];
    for (let ms = 0; ms < 60 * S; ms += 50) {
      clock.t += 50;
      for (let i = 0; i < 2; i += 1) if ((await budget.take('list', 1)).ok) spends.push(clock.t);
    }
    const worst = Math.max(...spends.map((t) => spends.filter((s) => s >= t && s < t + 10 * S).length));
    expect(worst).toBe(100);
    expect(spends.length).toBe(600);
  });
}
