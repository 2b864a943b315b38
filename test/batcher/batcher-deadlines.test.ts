import { describe, expect, it } from 'vitest';
import { InvitationBatcher, type BatchKey } from '../../src/batcher/batcher.ts';
import type { InvitationOutcome, InvitationParams } from '../../src/invitations/types.ts';

const unknown = (p: InvitationParams): InvitationOutcome => ({
  kind: 'failed',
  emailAddress: p.emailAddress,
  code: 'OUTCOME_UNKNOWN',
  message: 'Clerk did not answer',
  retryable: false,
  retryAfterSeconds: null,
  clerkTraceId: null,
});

const key = (email: string, extra: Partial<BatchKey> = {}): BatchKey => ({ params: { emailAddress: email }, callerId: 'c', requestId: 'r', ...extra });

/** Clerk hangs: every send takes as long as its deadline allows, then says the outcome is unknown. */
function hangingBatcher(requestTimeoutMs: number, extra: Partial<ConstructorParameters<typeof InvitationBatcher>[0]> = {}) {
  let sends = 0;
  const batcher = new InvitationBatcher({
    send: async (items, deadline) => {
      sends++;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())));
      return items.map(unknown);
    },
    windowMs: 5,
    windowMaxMs: 5,
    requestTimeoutMs,
    scarcity: () => 0,
    maxPending: 100,
    minCallMs: 100,
    ...extra,
  });
  return { batcher, sends: () => sends };
}

describe('deadlines of askers that wait behind the same address', () => {
  it('answers four concurrent askers of one address by their own deadline, not one after another', async () => {
    const { batcher, sends } = hangingBatcher(400);
    const started = Date.now();
    const times = await Promise.all(
      Array.from({ length: 4 }, () => batcher.load(key('busy@example.com')).then((r) => ({ r, ms: Date.now() - started }))),
    );
    // Each asker's deadline is 400 ms plus the 1 s backstop at most, whatever the others did.
    for (const { ms } of times) expect(ms).toBeLessThan(400 + 1_000);
    expect(times.map(({ r }) => r.kind === 'failed' && r.code)).toEqual(['OUTCOME_UNKNOWN', 'UPSTREAM_ERROR', 'UPSTREAM_ERROR', 'UPSTREAM_ERROR']);
    expect(times.slice(1).every(({ r }) => r.kind === 'failed' && r.retryable && /nothing was sent/.test(r.message))).toBe(true);
    // A later asker with no time left for a call of its own is not sent again.
    expect(sends()).toBe(1);
  });

  it('keeps the deadline a caller gave, instead of restarting it after the wait', async () => {
    const { batcher } = hangingBatcher(5_000);
    const first = batcher.load(key('slow@example.com', { deadline: Date.now() + 300 }));
    const second = batcher.load(key('slow@example.com', { deadline: Date.now() + 300 }));
    const started = Date.now();
    await Promise.all([first, second]);
    expect(Date.now() - started).toBeLessThan(300 + 1_000);
  });

  it('drain() waits for the askers behind a busy address too', async () => {
    const { batcher } = hangingBatcher(300);
    const answers: InvitationOutcome[] = [];
    for (let i = 0; i < 3; i++) void batcher.load(key('drain@example.com')).then((r) => answers.push(r));
    await batcher.drain();
    expect(answers).toHaveLength(3);
  });
});

describe('a budget with nothing left', () => {
  it('sends a batch at once, without waiting for company, when no channel can take a call', async () => {
    let sentAfter = -1;
    const started = Date.now();
    const batcher = new InvitationBatcher({
      send: async (items) => {
        sentAfter = Date.now() - started;
        return items.map(unknown);
      },
      windowMs: 5_000,
      windowMaxMs: 5_000,
      requestTimeoutMs: 30_000,
      scarcity: () => 1,
      maxPending: 100,
      blocked: { known: () => false, check: async () => true },
    });
    await batcher.load(key('lone@example.com'));
    expect(sentAfter).toBeGreaterThanOrEqual(0);
    expect(sentAfter).toBeLessThan(1_000);
  });
});
