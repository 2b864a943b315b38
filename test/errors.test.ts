import { describe, expect, it } from 'vitest';
import { RateLimitedError, UnauthenticatedError, withoutStack } from '../src/errors.ts';

const frames = (error: Error) => (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).length;

describe('errors that answer a caller', () => {
  it('carry no stack frames, and leave stacks on for everything else', () => {
    const limit = Error.stackTraceLimit;
    expect(frames(new UnauthenticatedError())).toBe(0);
    expect(frames(new RateLimitedError('slow down', 3))).toBe(0);
    expect(new RateLimitedError('slow down', 3).stack).toMatch(/slow down/);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(frames(new Error('a fault'))).toBeGreaterThan(0);
  });

  it('withoutStack restores the limit even when building the error throws', () => {
    const limit = Error.stackTraceLimit;
    expect(frames(withoutStack(() => new Error('quiet')))).toBe(0);
    expect(() =>
      withoutStack(() => {
        throw new TypeError('while building');
      }),
    ).toThrow('while building');
    expect(Error.stackTraceLimit).toBe(limit);
  });
});
