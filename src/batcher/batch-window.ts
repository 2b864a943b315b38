/** When one open batch leaves: its window, kept open while items keep arriving, within a hard bound. */
export interface BatchWindowTiming {
  /** The wait from the batch's first item: the base window, or longer when calls are scarce. */
  windowMs: number;
  /**
   * How long the batch stays open after its latest item once `windowMs` has passed: the base window.
   * A burst whose items arrive closer together than this packs into full batches, however long it lasts.
   */
  quietMs: number;
  /** The longest wait from the first item, however items keep arriving (the window cap). */
  capMs: number;
  /** The time an item must keep after the wait, for its call and one more; the wait ends that early. */
  keepMs: number;
}

/**
 * One open batch's timers. It leaves at the first of:
 * - `windowMs` after its first item has passed and no item has joined for `quietMs`;
 * - the hard bound: `capMs` after the first item, or `keepMs` before the earliest deadline of its items,
 *   whichever comes first, but never before `windowMs` (a short deadline does not shorten the window
 *   the batch had before, it only stops the wait from growing);
 * - `fire()` from outside (the tenth item, a flush, a blocked budget).
 *
 * Why the window is no longer measured from the first item alone: items of a burst arrive in separate
 * I/O callbacks, each after its own request's parsing, authentication and validation. When that takes
 * longer than the window in all, a window counted from the first item closes mid-burst, and the batch
 * leaves half full while the rest of the burst opens another (100 concurrent one-item requests made
 * 11 calls, two of them of 5). Counting the quiet time since the latest item instead keeps the batch
 * open exactly as long as the burst keeps feeding it; a lone item still leaves after `windowMs`.
 *
 * Only timers measure the window and the quiet gap (no clock is read for them), so fake timers drive
 * them; the hard bound compares deadlines, which are wall-clock epoch ms, with `Date.now()`.
 */
export class BatchWindow {
  /** Items in the batch; the batcher counts them, and fires at ten. */
  size = 0;
  private readonly openedAt = Date.now();
  private windowPassed = false;
  private quiet = true;
  private hardAt: number;
  private readonly windowTimer: NodeJS.Timeout;
  private quietTimer: NodeJS.Timeout | undefined;
  private hardTimer: NodeJS.Timeout | undefined;
  private settle: NodeJS.Immediate | undefined;
  private done = false;

  constructor(
    private readonly timing: BatchWindowTiming,
    private readonly leave: () => void,
  ) {
    this.hardAt = this.openedAt + Math.max(timing.windowMs, timing.capMs);
    this.windowTimer = setTimeout(() => {
      this.windowPassed = true;
      this.leaveWhenSettled();
    }, timing.windowMs);
    this.armHardBound();
  }

  /** An item joined: the batch stays open `quietMs` longer (within the hard bound). */
  join(deadline: number): void {
    if (this.done) return;
    this.quiet = false;
    // Every item of a burst restarts the quiet gap: refresh() moves the one timer instead of clearing it
    // and making another per item (it also re-arms a timer that has already fired).
    if (this.quietTimer) this.quietTimer.refresh();
    else {
      this.quietTimer = setTimeout(() => {
        this.quiet = true;
        this.leaveWhenSettled();
      }, this.timing.quietMs);
    }
    // An item with less time must not wait past what it can afford; the window itself stays.
    const bound = Math.max(this.openedAt + this.timing.windowMs, deadline - this.timing.keepMs);
    if (bound < this.hardAt) {
      this.hardAt = bound;
      this.armHardBound();
    }
  }

  /** Leaves now; later calls and timers do nothing. */
  fire(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.windowTimer);
    clearTimeout(this.quietTimer);
    clearTimeout(this.hardTimer);
    if (this.settle) clearImmediate(this.settle);
    this.leave();
  }

  /**
   * The window is over and the burst has gone quiet. Before leaving, yield one turn of the event loop:
   * Node runs due timers before it polls for I/O, so after a stall (a GC pause, a burst of parsing)
   * this timer can run while items of the same burst wait, already read, in the poll queue.
   * `setImmediate` runs after that poll phase; an item that joins meanwhile clears `quiet`, and the
   * batch waits on for it. A lone item pays one loop turn, well under a millisecond on an idle loop.
   */
  private leaveWhenSettled(): void {
    if (this.done || !this.windowPassed || !this.quiet || this.settle) return;
    this.settle = setImmediate(() => {
      this.settle = undefined;
      if (this.windowPassed && this.quiet) this.fire();
    });
  }

  private armHardBound(): void {
    clearTimeout(this.hardTimer);
    this.hardTimer = setTimeout(() => this.fire(), Math.max(0, this.hardAt - Date.now()));
  }
}
