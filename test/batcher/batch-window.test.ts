import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchWindow } from '../../src/batcher/batch-window.ts';

afterEach(() => vi.useRealTimers());

/** A window on fake timers and a fake clock; `left()` says whether the batch has left. */
function open(timing: Partial<ConstructorParameters<typeof BatchWindow>[0]> = {}) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] });
  let leftAt: number | undefined;
  const started = Date.now();
  const window = new BatchWindow({ windowMs: 20, quietMs: 20, capMs: 10_000, keepMs: 0, ...timing }, () => {
    leftAt ??= Date.now() - started;
  });
  return { window, started, leftAt: () => leftAt };
}

/** The batch left between `from` and `to` ms: a timer's turn of the loop may add one. */
function expectLeftWithin(leftAt: number | undefined, from: number, to: number) {
  expect(leftAt).toBeGreaterThanOrEqual(from);
  expect(leftAt).toBeLessThanOrEqual(to);
}

describe('BatchWindow', () => {
  it('leaves a lone item at the end of its window, one loop turn later at most', async () => {
    const { window, started, leftAt } = open();
    window.join(started + 30_000);
    await vi.advanceTimersByTimeAsync(19);
    expect(leftAt()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2);
    expect(leftAt()).toBeLessThanOrEqual(21);
  });

  it('stays open while items keep joining less than the base window apart, then leaves once they stop', async () => {
    const { window, started, leftAt } = open();
    for (let i = 0; i < 6; i += 1) {
      window.join(started + 30_000);
      await vi.advanceTimersByTimeAsync(15);
    }
    // The last item joined at 75 ms: the batch leaves 20 ms after it.
    expect(leftAt()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10);
    expectLeftWithin(leftAt(), 95, 96);
  });

  it('in a longer window, restarts the quiet gap for an item that joins after an earlier gap has passed', async () => {
    // Calls are scarce: the window is 100 ms, the quiet gap 20. The first gap passes at 20 ms.
    const { window, started, leftAt } = open({ windowMs: 100, quietMs: 20 });
    window.join(started + 30_000);
    await vi.advanceTimersByTimeAsync(90);
    window.join(started + 30_000);
    // The window ends at 100, but the item that joined at 90 keeps the batch open until 110.
    await vi.advanceTimersByTimeAsync(15);
    expect(leftAt()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(6);
    expectLeftWithin(leftAt(), 110, 111);
  });

  it('never waits past the cap, however items keep joining', async () => {
    const { window, started, leftAt } = open({ capMs: 50 });
    for (let i = 0; i < 10 && leftAt() === undefined; i += 1) {
      window.join(started + 30_000);
      await vi.advanceTimersByTimeAsync(15);
    }
    expect(leftAt()).toBe(50);
  });

  it('never waits past what its items deadlines allow, but keeps the window it had', async () => {
    const { window, started, leftAt } = open({ keepMs: 1_000 });
    window.join(started + 30_000);
    await vi.advanceTimersByTimeAsync(15);
    // This item must leave 1 s before its deadline: at 40 ms.
    window.join(started + 1_040);
    for (let i = 0; i < 4 && leftAt() === undefined; i += 1) {
      await vi.advanceTimersByTimeAsync(15);
      window.join(started + 30_000);
    }
    expect(leftAt()).toBe(40);

    const short = open({ keepMs: 1_000, windowMs: 30 });
    // A deadline already too close does not cut the window short.
    short.window.join(short.started + 500);
    await vi.advanceTimersByTimeAsync(29);
    expect(short.leftAt()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(short.leftAt()).toBe(30);
  });

  it('leaves at once when fired, and only once', async () => {
    const leave = vi.fn();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
    const window = new BatchWindow({ windowMs: 20, quietMs: 20, capMs: 10_000, keepMs: 0 }, leave);
    window.join(Date.now() + 30_000);
    window.fire();
    window.fire();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(leave).toHaveBeenCalledTimes(1);
  });
});
