import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createLogger } from '../../src/logger.ts';
import { REDIS_URL } from '../support/redis.ts';
import { CREATE_INVITATIONS, emails, outcome, startStack, type Stack } from '../support/stack.ts';

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

  it.each([
    ['the replica that spent both channels', false],
    ['a fresh replica that has not seen the budget yet', true],
  ])('with both channels spent, answers %s RATE_LIMITED at once, not after the batching window', async (_name, fresh) => {
    stack = await startStack({
      // A 10 s window cap, reached once single creates run out: the wait a spent budget must not cost.
      env: { UPSTREAM_BULK_PER_HOUR: '1', UPSTREAM_SINGLE_PER_HOUR: '1', BATCH_WINDOW_MAX_MS: '10000', REDIS_URL },
    });
    await stack.invite(emails(5, 'spend-bulk'));
    await stack.invite(emails(1, 'spend-single'));
    // Another replica on the same Redis: it has made no call and read no budget yet.
    const other = fresh ? createApp({ config: stack.config, logger: createLogger({ level: 'silent' }), clerk: { secretKey: stack.secretKey, apiUrl: stack.emulator.url } }) : undefined;
    const ask = (query: string, variables?: Record<string, unknown>) =>
      other
        ? Promise.resolve(
            other.yoga.fetch('http://gateway.test/graphql', {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${stack!.apiKey}` },
              body: JSON.stringify({ query, variables }),
            }),
          ).then((r: Response) => r.json() as Promise<{ data: any }>)
        : stack!.request(query, variables).then((r) => r.body as { data: any });
    try {
      const started = Date.now();
      const { data } = await ask(CREATE_INVITATIONS, { invitations: [{ emailAddress: 'lone@example.com' }] });
      const elapsed = Date.now() - started;
      const [result] = data.createInvitations.results;
      expect(result).toMatchObject({ __typename: 'InvitationFailed', code: 'RATE_LIMITED', retryable: true });
      expect(elapsed).toBeLessThan(1_000);
      const status = await ask('{ gatewayStatus { channels { channel resetAt } } }');
      const resets = status.data.gatewayStatus.channels.map((c: { resetAt: string }) => Date.parse(c.resetAt));
      // The time until the earlier of the two channels admits a call again, as gatewayStatus shows it.
      expect(Math.abs(Date.now() + result.retryAfterSeconds * 1000 - Math.min(...resets))).toBeLessThan(2_000);
      expect(stack.emulator.calls.filter((c) => c.status === 429)).toHaveLength(0);
    } finally {
      await other?.close();
    }
  });
});
