import { describe, expect, it } from 'vitest';
import { InvitationBatcher, type BatchKey } from '../../src/batcher/batcher.ts';
import type { InvitationOutcome, InvitationParams } from '../../src/invitations/types.ts';

const created = (p: InvitationParams): InvitationOutcome => ({
  kind: 'created',
  invitation: {
    id: `inv_${p.emailAddress}`,
    emailAddress: p.emailAddress,
    status: 'pending',
    publicMetadata: {},
    url: null,
    revoked: false,
    expiresAt: null,
    createdAt: 0,
    updatedAt: 0,
  },
});

/** A batcher whose sends are recorded, like DataLoader's own idLoader helper. */
function recordingBatcher(overrides: Partial<ConstructorParameters<typeof InvitationBatcher>[0]> = {}) {
  const sends: string[][] = [];
  const batcher = new InvitationBatcher({
    send: async (items) => {
      sends.push(items.map((i) => i.emailAddress));
      return items.map(created);
    },
    windowMs: 20,
    windowMaxMs: 20,
    requestTimeoutMs: 30_000,
    scarcity: () => 0,
    maxPending: 10_000,
    ...overrides,
  });
  return [batcher, sends] as const;
}

const key = (email: string, callerId = 'c'): BatchKey => ({ params: { emailAddress: email }, callerId, requestId: 'r' });

describe('InvitationBatcher', () => {
  it('packs 37 concurrent items into 4 sends of 10, 10, 10 and 7, each caller getting its own result', async () => {
    const [batcher, sends] = recordingBatcher();
    const emails = Array.from({ length: 37 }, (_, i) => `user${i}@example.com`);
    const results = await Promise.all(emails.map((e) => batcher.load(key(e))));
    expect(sends.map((s) => s.length)).toEqual([10, 10, 10, 7]);
    results.forEach((r, i) => expect(r.kind === 'created' && r.invitation.emailAddress).toBe(emails[i]));
  });

  it('sends a full batch at once instead of waiting out the window', async () => {
    const [batcher, sends] = recordingBatcher({ windowMs: 5_000, windowMaxMs: 5_000 });
    const started = performance.now();
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.load(key(`u${i}@example.com`))));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(sends).toHaveLength(1);
  });

  it('waits longer for company when the bulk allowance is scarce', async () => {
    const [batcher, sends] = recordingBatcher({ windowMs: 5, windowMaxMs: 200, scarcity: () => 1 });
    const first = batcher.load(key('a@example.com'));
    await new Promise((r) => setTimeout(r, 60));
    const second = batcher.load(key('b@example.com'));
    await Promise.all([first, second]);
    expect(sends).toEqual([['a@example.com', 'b@example.com']]);
  });

  it('sends an address asked for by two requests once; the later asker learns it was already invited', async () => {
    const [batcher, sends] = recordingBatcher();
    const [a, b] = await Promise.all([batcher.load(key('Same@Example.com', 'x')), batcher.load(key('same@example.com', 'y'))]);
    expect(sends).toEqual([['Same@Example.com']]);
    expect(a.kind).toBe('created');
    expect(b).toMatchObject({ kind: 'failed', code: 'ALREADY_INVITED', emailAddress: 'same@example.com' });
  });

  it('sends for the later asker in turn when the first one sent nothing, never both at once', async () => {
    const sends: string[][] = [];
    const [batcher] = recordingBatcher({
      send: async (items) => {
        sends.push(items.map((i) => i.emailAddress));
        return items.map((i) => ({ kind: 'failed', emailAddress: i.emailAddress, code: 'RATE_LIMITED', message: 'spent', retryable: true, retryAfterSeconds: 9, clerkTraceId: null }));
      },
    });
    const [, b] = await Promise.all([batcher.load(key('s@example.com')), batcher.load(key('s@example.com'))]);
    expect(sends).toEqual([['s@example.com'], ['s@example.com']]);
    expect(b).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 9 });
  });

  it('keeps an address out of a second batch while it is in flight, and honours ignoreExisting askers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sendsSeen: string[][] = [];
    const slow = recordingBatcher({
      windowMs: 1,
      windowMaxMs: 1,
      send: async (items) => {
        sendsSeen.push(items.map((i) => i.emailAddress));
        await gate;
        return items.map(created);
      },
    })[0];
    const first = slow.load(key('busy@example.com'));
    await new Promise((r) => setTimeout(r, 20));
    const second = slow.load(key('busy@example.com'));
    const again = slow.load({ ...key('busy@example.com'), params: { emailAddress: 'busy@example.com', ignoreExisting: true } });
    await new Promise((r) => setTimeout(r, 20));
    expect(sendsSeen).toEqual([['busy@example.com']]);
    release();
    expect((await first).kind).toBe('created');
    expect(await second).toMatchObject({ code: 'ALREADY_INVITED' });
    expect((await again).kind).toBe('created');
    expect(sendsSeen).toEqual([['busy@example.com'], ['busy@example.com']]);
  });

  it('answers every key even when the send returns too few outcomes', async () => {
    const [batcher] = recordingBatcher({ send: async (items) => items.slice(1).map(created) });
    const results = await Promise.all([batcher.load(key('a@example.com')), batcher.load(key('b@example.com'))]);
    expect(results.map((r) => r.kind === 'failed' && r.code)).toEqual([false, 'OUTCOME_UNKNOWN']);
  });

  it('answers every item even when the send throws, without rejecting', async () => {
    const [batcher] = recordingBatcher({ send: async () => { throw new Error('boom'); } });
    const results = await Promise.all([batcher.load(key('a@example.com')), batcher.load(key('b@example.com'))]);
    expect(results.map((r) => r.kind === 'failed' && r.code)).toEqual(['OUTCOME_UNKNOWN', 'OUTCOME_UNKNOWN']);
  });

  it('fails items past the queue bound fast and retryable, and admits again once it drains', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const [batcher] = recordingBatcher({
      maxPending: 3,
      send: async (items) => { await gate; return items.map(created); },
    });
    const held = [1, 2, 3].map((i) => batcher.load(key(`h${i}@example.com`)));
    const over = await batcher.load(key('over@example.com'));
    expect(over).toMatchObject({ kind: 'failed', code: 'RATE_LIMITED', retryable: true, retryAfterSeconds: 1 });
    expect(batcher.pending).toBe(3);
    release();
    await Promise.all(held);
    expect(batcher.pending).toBe(0);
    expect((await batcher.load(key('later@example.com'))).kind).toBe('created');
  });

  it('drain() sends the open batch now and waits for its answer', async () => {
    const [batcher, sends] = recordingBatcher({ windowMs: 60_000, windowMaxMs: 60_000 });
    const pending = batcher.load(key('a@example.com'));
    await batcher.drain();
    expect(sends).toHaveLength(1);
    expect((await pending).kind).toBe('created');
  });
});
