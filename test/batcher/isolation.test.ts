import { describe, expect, it } from 'vitest';
import { BatchDispatcher } from '../../src/batcher/dispatcher.ts';
import { MemoryBudget } from '../../src/budget/index.ts';
import { UpstreamFailure } from '../../src/clerk/classify.ts';
import type { Upstream } from '../../src/clerk/upstream.ts';
import type { InvitationOutcome, InvitationParams, InvitationRecord } from '../../src/invitations/types.ts';

/** Clerk refusing a rule the gateway does not know, naming no item: the only fake, at the Clerk boundary. */
function strictClerk() {
  const calls = { bulk: 0, single: 0 };
  const bad = (p: InvitationParams) => p.emailAddress.endsWith('@strict.test');
  const refusal = () =>
    new UpstreamFailure({
      kind: 'rejected',
      status: 422,
      errors: [{ code: 'form_param_format_invalid', message: 'is invalid', paramName: 'email_address' }],
      message: 'is invalid',
    });
  const record = (p: InvitationParams): InvitationRecord => ({
    id: `inv_${p.emailAddress}`, emailAddress: p.emailAddress, status: 'pending', publicMetadata: {}, url: null,
    revoked: false, expiresAt: null, createdAt: Date.now(), updatedAt: Date.now(),
  });
  const upstream: Upstream = {
    async createBulk(items) {
      calls.bulk++;
      if (items.some(bad)) throw refusal();
      return items.map(record);
    },
    async createOne(item) {
      calls.single++;
      if (bad(item)) throw refusal();
      return record(item);
    },
    list: async () => ({ data: [], totalCount: 0 }),
    revoke: async () => {
      throw new Error('not used');
    },
    existingUsers: async () => new Set(),
  };
  const dispatcher = new BatchDispatcher({ upstream, budget: new MemoryBudget({ bulkPerHour: 25, singlePerHour: 100 }), policy: 'auto', bulkPerHour: 25, singlePerHour: 100, upstreamTimeoutMs: 1_000 });
  return { dispatcher, calls };
}

const code = (r: InvitationOutcome) => (r.kind === 'created' ? 'CREATED' : r.code);

describe('isolating a bulk refusal that names no item', () => {
  it('stops spending single creates once Clerk refuses two items the same way, and answers the rest retryable', async () => {
    const { dispatcher, calls } = strictClerk();
    const items = Array.from({ length: 10 }, (_, i) => ({ emailAddress: `x${i}@strict.test` }));
    const results = await dispatcher.send(items, Date.now() + 8_000);
    expect(calls.single).toBeLessThanOrEqual(4);
    expect(results.filter((r) => code(r) === 'INVALID_INPUT').length).toBe(calls.single);
    const rest = results.filter((r) => code(r) === 'UPSTREAM_ERROR');
    expect(rest.length).toBe(10 - calls.single);
    expect(rest.every((r) => r.kind === 'failed' && r.retryable && /nothing was created/.test(r.message))).toBe(true);
  });

  it('still isolates a lone culprit exactly: nine created, one refused', async () => {
    const { dispatcher, calls } = strictClerk();
    const items = Array.from({ length: 10 }, (_, i) => ({ emailAddress: i === 6 ? 'x@strict.test' : `ok${i}@example.com` }));
    const results = await dispatcher.send(items, Date.now() + 8_000);
    expect(results.map(code)).toEqual(items.map((_, i) => (i === 6 ? 'INVALID_INPUT' : 'CREATED')));
    expect(calls).toEqual({ bulk: 1, single: 10 });
  });

  it('bounds what ten such batches from one caller can spend', async () => {
    const { dispatcher, calls } = strictClerk();
    for (let b = 0; b < 10; b++) {
      await dispatcher.send(Array.from({ length: 10 }, (_, i) => ({ emailAddress: `b${b}-${i}@strict.test` })), Date.now() + 8_000);
    }
    expect(calls.bulk).toBe(10);
    expect(calls.single).toBeLessThanOrEqual(40);
  });
});
