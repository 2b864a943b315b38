import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../src/emulator/index.ts';
import { startStack, type Payload, type Stack } from '../support/stack.ts';

// Several hundred invitations while the emulator injects every fault at random. The invariants are
// the product's promise: one answer per request, nothing created twice, and no invitation that exists
// reported as failed (only as OUTCOME_UNKNOWN, and only when the lookup was down too).
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    env: { UPSTREAM_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '20000', UPSTREAM_BULK_PER_HOUR: '100000', UPSTREAM_SINGLE_PER_HOUR: '100000' },
    emulator: { limits: { bulkPerHour: 100_000, singlePerHour: 100_000 }, faultSeed: Number(process.env.FAULT_SEED ?? 7) },
  });
  const creates: FaultRule['route'][] = ['bulk', 'single'];
  const rules: FaultRule[] = creates.flatMap((route) => [
    { route, fault: 'latency', latencyMs: 100, probability: 0.1 },
    { route, fault: 'hang', probability: 0.04 },
    { route, fault: 'error500-before-commit', probability: 0.05 },
    { route, fault: 'error500-after-commit', probability: 0.05 },
    { route, fault: 'reset-before-commit', probability: 0.04 },
    { route, fault: 'reset-after-commit', probability: 0.05 },
    { route, fault: 'rate-limit', retryAfterSeconds: 1, probability: 0.04 },
    { route, fault: 'malformed-body', probability: 0.04 },
  ]);
  rules.push({ route: 'list', fault: 'error500-before-commit', probability: 0.15 });
  // Every kind fires at least once, whatever the dice say: the first bulk calls take one each.
  const once: FaultRule[] = rules.filter((r) => r.route === 'bulk').map(({ probability: _p, ...rule }) => ({ ...rule, times: 1 }));
  stack.emulator.faults.add(...once, ...rules);
});
afterAll(() => stack.close());

describe('fault matrix', () => {
  it('answers every request once, never creates an address twice, and never calls a created invitation failed', async () => {
    const requests = Array.from({ length: 240 }, (_, r) =>
      Array.from({ length: 1 + (r % 3) }, (_, i) => ({
        // Every tenth request repeats an address of an earlier one, so concurrent duplicates are in the mix.
        emailAddress: r % 10 === 9 ? `r${r - 5}i0@example.com` : `r${r}i${i}@example.com`,
        // ignoreExisting asks Clerk for another invitation on purpose, so repeated addresses leave it off.
        ignoreExisting: r % 4 === 0 && r % 10 !== 4 && r % 10 !== 9,
      })),
    );
    const answers = await Promise.all(requests.map((items) => stack.invite(items).then((p): Payload | Error => p, (e: Error) => e)));

    expect(answers.filter((a) => a instanceof Error)).toEqual([]);
    const results = (answers as Payload[]).flatMap((p, r) => {
      expect(p.results).toHaveLength(requests[r]!.length);
      return p.results;
    });

    const stored = stack.emulator.invitations();
    const perAddress = new Map<string, number>();
    stored.forEach((i) => perAddress.set(i.emailAddress, (perAddress.get(i.emailAddress) ?? 0) + 1));
    expect([...perAddress].filter(([, n]) => n > 1)).toEqual([]);

    const storedIds = new Set(stored.map((i) => i.id));
    const answersFor = new Map<string, string[]>();
    for (const r of results) {
      const address = r.__typename === 'InvitationCreated' ? r.invitation.emailAddress : r.emailAddress;
      if (r.__typename === 'InvitationCreated') expect(storedIds.has(r.invitation.id)).toBe(true);
      const said = r.__typename === 'InvitationCreated' ? 'CREATED' : `${r.code}:${r.message}`;
      answersFor.set(address, [...(answersFor.get(address) ?? []), said]);
    }
    // Every address Clerk holds was reported created to some asker, or unknown because the lookup was down.
    for (const { emailAddress } of stored) {
      const said = answersFor.get(emailAddress) ?? [];
      if (said.includes('CREATED')) continue;
      expect(said.some((s) => /^OUTCOME_UNKNOWN:.*looking it up failed too/.test(s)), `${emailAddress}: ${said.join(' | ')}`).toBe(true);
    }

    const faults = new Set(stack.emulator.calls.map((c) => c.fault).filter(Boolean));
    expect(faults.size).toBe(8);
    const created = results.filter((r) => r.__typename === 'InvitationCreated').length;
    expect(created).toBeGreaterThan(results.length / 2);
  });
});
