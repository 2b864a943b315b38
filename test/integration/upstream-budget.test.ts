import { afterEach, describe, expect, it } from 'vitest';
import { emails, outcome, startStack, type Stack } from '../support/stack.ts';

let stack: Stack | undefined;
afterEach(() => stack?.close());

describe('the upstream budget at the gateway', () => {
  it('spends a small hourly budget to the last call, then fails items RATE_LIMITED without one 429 from Clerk', async () => {
    stack = await startStack({
      // A short window cap: this test is about counting, not about waiting for fuller calls.
      env: { UPSTREAM_BULK_PER_HOUR: '2', UPSTREAM_SINGLE_PER_HOUR: '3', UPSTREAM_TIMEOUT_MS: '2000', BATCH_WINDOW_MAX_MS: '50' },
      emulator: { limits: { bulkPerHour: 2, singlePerHour: 3 } },
    });
    const payloads = [];
    for (let round = 0; round < 5; round++) payloads.push(await stack.invite(emails(5, `round${round}-`)));
    const results = payloads.flatMap((p) => p.results);
    // Two bulk calls of 5 and three singles: 13 invitations out of 25.
    expect(results.filter((r) => outcome(r) === 'CREATED')).toHaveLength(13);
    const limited = results.filter((r) => r.__typename === 'InvitationFailed' && r.code === 'RATE_LIMITED');
    expect(limited).toHaveLength(12);
    for (const r of limited) {
      expect(r.__typename === 'InvitationFailed' && r.retryable).toBe(true);
      // The first spend leaves the hour (plus the budget's margin of one upstream timeout) in about an hour.
      const seconds = r.__typename === 'InvitationFailed' ? r.retryAfterSeconds! : 0;
      expect(seconds).toBeGreaterThan(3_590);
      expect(seconds).toBeLessThanOrEqual(3_602);
    }
    expect(stack.emulator.calls.filter((c) => c.status === 429)).toHaveLength(0);
    expect(stack.emulator.invitations()).toHaveLength(13);
  });

  it('pauses a channel for Clerk\'s Retry-After when somebody else spent the allowance, failing only those items', async () => {
    stack = await startStack({ env: { UPSTREAM_CHANNELS: 'bulk' } });
    stack.emulator.faults.add({ route: 'bulk', fault: 'rate-limit', retryAfterSeconds: 300, times: 1 });
    const first = await stack.invite(emails(3, 'a'));
    expect(first.results.map(outcome)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    const retryAfter = first.results[0]!.__typename === 'InvitationFailed' ? first.results[0]!.retryAfterSeconds : null;
    expect(retryAfter).toBe(300);
    const second = await stack.invite(emails(2, 'b'));
    expect(second.results.map(outcome)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
    expect(stack.bulkCalls()).toHaveLength(1);
    const { body } = await stack.request('{ gatewayStatus { channels { channel remaining pausedUntil } } }');
    const bulk = body.data.gatewayStatus.channels.find((c: { channel: string }) => c.channel === 'BULK');
    expect(Date.parse(bulk.pausedUntil) - Date.now()).toBeGreaterThan(290_000);
  });
});
