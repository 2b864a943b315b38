import type { Clock } from '../../src/clock.ts';

/** A clock that only moves when told to, shared by the budget, the dispatcher and the emulator. */
export class SimClock implements Clock {
  constructor(private at: number) {}

  now(): number {
    return this.at;
  }

  /** Time never runs backwards: a later event may not rewind what an earlier one saw. */
  set(at: number): void {
    this.at = Math.max(this.at, at);
  }

  advance(ms: number): void {
    this.at += ms;
  }
}

export const HOUR_MS = 3_600_000;
