import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Backstop } from '../../src/batcher/backstop.ts';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => vi.useRealTimers());

/** A promise settled from outside, standing in for an item's answer from below. */
function later<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('Backstop', () => {
  it('answers what is still waiting at its time, and passes on what came in time', async () => {
    const backstop = new Backstop<string>();
    const answered = later<string>();
    const hung = later<string>();
    const a = backstop.guard(answered.promise, Date.now() + 1_000, () => 'late');
    const b = backstop.guard(hung.promise, Date.now() + 1_000, () => 'late');
    answered.resolve('in time');
    expect(await a).toBe('in time');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await b).toBe('late');
    // An answer after the backstop's goes nowhere.
    hung.resolve('too late');
    expect(await b).toBe('late');
  });

  it('never answers later than asked, and at most one slice earlier', async () => {
    const backstop = new Backstop<string>(100);
    const by = Date.now() + 1_050;
    let at = -1;
    void backstop.guard(new Promise<string>(() => {}), by, () => 'late').then(() => (at = Date.now()));
    await vi.advanceTimersByTimeAsync(949);
    expect(at).toBe(-1);
    await vi.advanceTimersByTimeAsync(101);
    expect(at).toBeGreaterThan(by - 100);
    expect(at).toBeLessThanOrEqual(by);
  });

  it('keeps one timer for the items of a slice, and none once all of them are answered', async () => {
    const backstop = new Backstop<number>(100);
    const items = Array.from({ length: 500 }, () => later<number>());
    const answers = items.map((item, i) => backstop.guard(item.promise, Date.now() + 1_000 + (i % 50), () => -1));
    expect(vi.getTimerCount()).toBe(1);
    items.forEach((item, i) => item.resolve(i));
    expect(await Promise.all(answers)).toEqual(items.map((_, i) => i));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes a rejection on', async () => {
    const backstop = new Backstop<string>();
    const failing = later<string>();
    const guarded = backstop.guard(failing.promise, Date.now() + 1_000, () => 'late');
    failing.reject(new Error('below'));
    await expect(guarded).rejects.toThrow('below');
  });
});
