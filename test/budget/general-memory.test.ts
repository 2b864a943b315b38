import { describe, expect, it } from 'vitest';
import { createGeneralBudget } from '../../src/budget/create-budget.ts';
import { defaultGeneralPer10s } from '../../src/budget/general.ts';
import { MemoryGeneralBudget } from '../../src/budget/general-memory.ts';
import { manualClock } from './behaviour.ts';
import { generalBehaviour } from './general-behaviour.ts';

describe('MemoryGeneralBudget', () => {
  generalBehaviour((clock, reservePercent) => new MemoryGeneralBudget({ clerkPer10s: 100, reservePercent, marginMs: 0, clock }));

  it('keeps each spend for 10 s plus a one-second margin, and half the limit for the customer, by default', async () => {
    const clock = manualClock();
    const budget = new MemoryGeneralBudget({ clerkPer10s: 2, clock });
    expect(await budget.take('list', 1)).toEqual({ ok: true, remaining: 0 });
    expect(await budget.take('list', 1)).toEqual({ ok: false, reason: 'spent', retryAfterMs: 11_000 });
  });

  it('defaults to 1000 for a production key and 100 for any other', () => {
    expect(defaultGeneralPer10s('sk_live_abc')).toBe(1000);
    expect(defaultGeneralPer10s('sk_test_abc')).toBe(100);
    expect(defaultGeneralPer10s('sk_live')).toBe(100);
  });

  it('is what createGeneralBudget returns without Redis', () => {
    expect(createGeneralBudget({ secretKey: 'sk_test_x', clerkPer10s: 100 })).toBeInstanceOf(MemoryGeneralBudget);
  });

  it('rejects bad settings at construction', () => {
    expect(() => new MemoryGeneralBudget({ clerkPer10s: 0 })).toThrow(/clerkPer10s/);
    expect(() => new MemoryGeneralBudget({ clerkPer10s: 100, reservePercent: 95 })).toThrow(/reservePercent/);
    expect(() => new MemoryGeneralBudget({ clerkPer10s: 100, marginMs: -1 })).toThrow(/marginMs/);
  });
});
