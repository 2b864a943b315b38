interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  late: () => T;
}

interface Slice<T> {
  timer: NodeJS.Timeout;
  waiting: Set<Waiter<T>>;
}

/**
 * Guarantees every guarded promise an answer by a given time, with one timer per slice of time
 * (100 ms by default) instead of one timer and one race per promise: under load a slice holds the
 * items of several batches, and an item answered in time only leaves its slice's set. A slice fires
 * at its start, so an answer is never later than asked for and at most one slice earlier.
 */
export class Backstop<T> {
  private readonly slices = new Map<number, Slice<T>>();

  constructor(private readonly sliceMs = 100) {}

  /** Resolves like `result`, or with `late()` at epoch ms `by` if `result` has not settled by then. */
  guard(result: Promise<T>, by: number, late: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = Math.floor(by / this.sliceMs) * this.sliceMs;
      let slice = this.slices.get(start);
      if (!slice) {
        slice = { timer: setTimeout(() => this.expire(start), Math.max(0, start - Date.now())), waiting: new Set() };
        this.slices.set(start, slice);
      }
      const waiter: Waiter<T> = { resolve, reject, late };
      const own = slice;
      own.waiting.add(waiter);
      const leave = () => {
        // Already answered by the backstop: the late result goes nowhere.
        if (!own.waiting.delete(waiter)) return false;
        if (own.waiting.size === 0 && this.slices.get(start) === own) {
          clearTimeout(own.timer);
          this.slices.delete(start);
        }
        return true;
      };
      result.then(
        (value) => leave() && resolve(value),
        (error: unknown) => leave() && reject(error),
      );
    });
  }

  private expire(start: number): void {
    const slice = this.slices.get(start);
    if (!slice) return;
    this.slices.delete(start);
    const overdue = [...slice.waiting];
    slice.waiting.clear();
    for (const waiter of overdue) waiter.resolve(waiter.late());
  }
}
