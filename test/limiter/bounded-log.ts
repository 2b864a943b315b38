import { expect, it } from 'vitest';
import { COARSE_AFTER, type CallerLimitStore } from '../../src/limiter/store.ts';

export interface ClockedStore {
  store: CallerLimitStore;
  clock: { t: number };
  /** Entries the store holds for the one caller these tests use. */
  entries: () => Promise<number>;
}

const caller = { contextIdentity: 'user:flood', fieldIdentity: 'Query.ping' };

/** A fixed pseudo-random sequence, so a failure can be replayed. */
function lcg(seed: number) {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

/**
 * The log of a caller who calls far more often than its limit stays bounded, and the limit stays as
 * tight as an exact sliding window: no window ever admits more than max, the coarse grain included.
 * `hits` is kept small for a store that pays a round trip per check.
 */
export function boundedLogBehaviour(makeStore: () => ClockedStore, hits: number): void {
  it('holds a flooding caller to a bounded log, and admits it again once its window has passed', async () => {
    const { store, clock, entries } = makeStore();
    const windowMs = 3_600_000;
    for (let i = 0; i < hits; i += 1) {
      clock.t += 1;
      const { allowed } = await store.hit(caller, { units: 1, max: 100, windowMs, countRejected: true });
      expect(allowed).toBe(i < 100);
    }
    expect(await entries()).toBeLessThanOrEqual(2 * COARSE_AFTER + 1);
    expect(await entries()).toBeGreaterThanOrEqual(COARSE_AFTER);
    clock.t += windowMs - 1;
    expect((await store.hit(caller, { units: 1, max: 100, windowMs, countRejected: false })).allowed).toBe(false);
    // Never later than one grain past the exact time.
    clock.t += windowMs / COARSE_AFTER + 1;
    expect((await store.hit(caller, { units: 1, max: 100, windowMs, countRejected: false })).allowed).toBe(true);
  });

  it('never admits more than max in any window while the log is coarse, and admits nearly what an exact window would', async () => {
    const { store, clock, entries } = makeStore();
    const windowMs = 60_000;
    const max = 2 * COARSE_AFTER;
    const random = lcg(7);
    const sum = (log: { at: number; units: number }[], now: number) => log.filter((a) => a.at > now - windowMs).reduce((n, a) => n + a.units, 0);
    const admitted: { at: number; units: number }[] = [];
    const exact: { at: number; units: number }[] = [];
    let most = 0;
    for (let i = 0; i < hits; i += 1) {
      // Bursts and pauses: gaps from 0 to 60 ms, now and then a few seconds.
      clock.t += random() < 0.01 ? Math.floor(random() * 5_000) : Math.floor(random() * 60);
      const units = 1 + Math.floor(random() * 3);
      if (sum(exact, clock.t) + units <= max) exact.push({ at: clock.t, units });
      const { allowed } = await store.hit(caller, { units, max, windowMs, countRejected: false });
      if (!allowed) continue;
      admitted.push({ at: clock.t, units });
      expect(sum(admitted, clock.t)).toBeLessThanOrEqual(max);
      most = Math.max(most, await entries());
    }
    // The sequence did reach the coarse grain, and the log stayed within its bound.
    expect(most).toBeGreaterThanOrEqual(COARSE_AFTER);
    expect(most).toBeLessThanOrEqual(2 * COARSE_AFTER + 1);
    const total = (log: { units: number }[]) => log.reduce((n, a) => n + a.units, 0);
    expect(total(admitted)).toBeGreaterThanOrEqual(0.9 * total(exact));
  });
}
