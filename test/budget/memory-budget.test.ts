import { describe, expect, it } from 'vitest';
import { createBudget } from '../../src/budget/create-budget.ts';
import { MemoryBudget } from '../../src/budget/memory-budget.ts';
import { budgetBehaviour, budgetWindowBehaviour, manualClock } from './behaviour.ts';

describe('MemoryBudget', () => {
  budgetBehaviour((clock) => new MemoryBudget({ bulkPerHour: 25, singlePerHour: 100, clock, marginMs: 0 }));
  budgetWindowBehaviour((clock, windowMs) => new MemoryBudget({ bulkPerHour: 25, singlePerHour: 100, clock, windowMs }));

  it('keeps each spend for an hour plus the margin by default', async () => {
    const clock = manualClock();
    const budget = new MemoryBudget({ bulkPerHour: 1, singlePerHour: 1, clock });
    await budget.take('bulk', 1);
    expect(await budget.take('bulk', 1)).toEqual({ ok: false, reason: 'spent', retryAfterMs: 3_600_000 + 10_000 });
  });

  it('is what createBudget returns without Redis', () => {
    expect(createBudget({ secretKey: 'sk_test_x', bulkPerHour: 25, singlePerHour: 100 })).toBeInstanceOf(MemoryBudget);
  });

  it('rejects bad limits at construction', () => {
    expect(() => new MemoryBudget({ bulkPerHour: 0, singlePerHour: 100 })).toThrow(/bulkPerHour/);
    expect(() => new MemoryBudget({ bulkPerHour: 1, singlePerHour: 1, windowMs: 0 })).toThrow(/windowMs/);
  });
});
