import { afterEach, describe, expect, it } from 'vitest';
import { startStack, outcome, type Stack } from '../support/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('the whole gateway with Clerk\'s clock off', () => {
  it.each([-30_000, 30_000])('at %i ms, reports what a failed call committed and sends nothing twice', async (offset) => {
    stack = await startStack({ emulator: { clockOffsetMs: offset } });
    stack.emulator.faults.add({ route: 'bulk', fault: 'error500-after-commit', times: 1 });
    const items = Array.from({ length: 5 }, (_, i) => ({ emailAddress: `skew${i}@example.com`, ignoreExisting: true, publicMetadata: { i } }));
    const payload = await stack.invite(items);
    expect(payload.results.map(outcome)).toEqual(items.map(() => 'CREATED'));
    expect(stack.emulator.invitations()).toHaveLength(5);
    expect(stack.emulator.calls.filter((c) => c.route === 'bulk' || c.route === 'single')).toHaveLength(1);
  });
});
