/** Wall time, injected so simulations and tests can run an hour in a moment. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
