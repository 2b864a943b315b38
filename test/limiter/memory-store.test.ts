import { describe, expect, it } from 'vitest';
import { InMemoryStore } from 'graphql-rate-limit';
import { fromGraphQLRateLimitStore } from '../../src/limiter/legacy-store.ts';
import { MemoryCallerLimitStore } from '../../src/limiter/memory-store.ts';
import { limiterBehaviour } from './behaviour.ts';
import { boundedLogBehaviour } from './bounded-log.ts';
import { codes, concurrentPings, limitedSchema, run } from './schema.ts';

function manualClock(start = 1_700_000_000_000) {
  return { t: start, now() { return this.t; } };
}

const hit = (store: MemoryCallerLimitStore, caller: string, units = 1, max = 10, windowMs = 60_000, countRejected = true) =>
  store.hit({ contextIdentity: caller, fieldIdentity: 'Query.ping' }, { units, max, windowMs, countRejected });

describe('MemoryCallerLimitStore through @rateLimit', () => {
  limiterBehaviour(() => new MemoryCallerLimitStore());
});

describe('MemoryCallerLimitStore', () => {
  it('says exactly when the next call fits', async () => {
    const clock = manualClock();
    const schema = limitedSchema({ store: new MemoryCallerLimitStore({ clock }) });
    for (let i = 0; i < 4; i += 1) await run(schema, '{ ping }');
    clock.t += 20_500;
    for (let i = 0; i < 6; i += 1) await run(schema, '{ ping }');
    clock.t += 10_000;
    const [error] = (await run(schema, '{ ping }')).errors ?? [];
    // The first four calls leave the window 60 s after they were made, 29.5 s from now.
    expect(error?.extensions.retryAfterSeconds).toBe(30);
    clock.t += 29_499;
    expect(codes(await run(schema, '{ ping }'))).toEqual(['RATE_LIMITED']);
  });

  it('computes retryAfterMs from the log, including recorded rejections', async () => {
    const clock = manualClock();
    const store = new MemoryCallerLimitStore({ clock });
    for (let i = 0; i < 10; i += 1) {
      expect((await hit(store, 'a')).allowed).toBe(true);
      clock.t += 1000;
    }
    // t = 10 s. The rejected hit is recorded too (graphql-rate-limit's default), so two calls must leave:
    // the one at 1 s leaves at 61 s.
    expect(await hit(store, 'a')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 51_000, resetAfterMs: 50_000 });
    // Now 11 units plus 3 more recorded: 14 + 3 - 10 = 7 must leave, the 7th oldest was made at 6 s.
    expect((await hit(store, 'a', 3)).retryAfterMs).toBe(56_000);
    clock.t += 55_999;
    expect((await hit(store, 'a', 3, 10, 60_000, false)).allowed).toBe(false);
    clock.t += 1;
    expect(await hit(store, 'a', 3, 10, 60_000, false)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0, resetAfterMs: 1_000 });
  });

  it('reports the exact wait without recording rejections', async () => {
    const clock = manualClock();
    const store = new MemoryCallerLimitStore({ clock });
    for (let i = 0; i < 10; i += 1) {
      await hit(store, 'a');
      clock.t += 1000;
    }
    expect(await hit(store, 'a', 1, 10, 60_000, false)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 50_000, resetAfterMs: 50_000 });
    expect((await hit(store, 'a', 4, 10, 60_000, false)).retryAfterMs).toBe(53_000);
  });

  it('does not record rejections with uncountRejected', async () => {
    const clock = manualClock();
    const schema = limitedSchema({ store: new MemoryCallerLimitStore({ clock }) });
    const once = () => run(schema, 'mutation { tryOnce }');
    expect((await once()).data?.tryOnce).toBe('ok');
    clock.t += 30_000;
    const rejected = await once();
    expect(rejected.errors?.[0]?.message).toBe('Only once a minute');
    expect(rejected.errors?.[0]?.extensions.retryAfterSeconds).toBe(30);
    clock.t += 30_000;
    expect((await once()).data?.tryOnce).toBe('ok');
  });

  it('keeps blocking a caller that keeps retrying by default', async () => {
    const clock = manualClock();
    const schema = limitedSchema({ store: new MemoryCallerLimitStore({ clock }) });
    const lookup = () => run(schema, '{ lookup(id: "1") }');
    expect(codes(await lookup())).toEqual([]);
    clock.t += 30_000;
    expect(codes(await lookup())).toEqual(['RATE_LIMITED']);
    clock.t += 30_000;
    expect(codes(await lookup())).toEqual(['RATE_LIMITED']);
  });

  it('evicts identities whose window has passed', async () => {
    const clock = manualClock();
    const store = new MemoryCallerLimitStore({ clock });
    for (let i = 0; i < 1000; i += 1) await hit(store, `user:${i}`);
    await hit(store, 'long', 1, 10, 3_600_000);
    expect(store.size).toBe(1001);
    clock.t += 60_000;
    await hit(store, 'late');
    expect(store.size).toBe(2);
  });

  it('caps the number of logs', async () => {
    const clock = manualClock();
    const store = new MemoryCallerLimitStore({ clock, maxKeys: 100 });
    for (let i = 0; i < 1000; i += 1) {
      await hit(store, `user:${i}`);
      clock.t += 1;
    }
    expect(store.size).toBe(100);
    // The newest callers are the ones kept.
    for (let i = 0; i < 9; i += 1) await hit(store, 'user:999');
    expect((await hit(store, 'user:999')).allowed).toBe(false);
  });

  it('stays fast with many identities', async () => {
    const store = new MemoryCallerLimitStore();
    const started = performance.now();
    for (let i = 0; i < 100_000; i += 1) await hit(store, `user:${i}`);
    expect(store.size).toBe(100_000);
    const perCall = (performance.now() - started) / 100_000;
    expect(perCall).toBeLessThan(0.05);
  });

  it('is not fooled by a caller identity that contains the separator', async () => {
    const store = new MemoryCallerLimitStore();
    await hit(store, 'a:Query.ping', 1, 1);
    expect((await hit(store, 'a', 1, 1)).allowed).toBe(true);
  });
});

describe('graphql-rate-limit InMemoryStore (for comparison)', () => {
  it('lets concurrent calls past its limit, which is why the check moved into our stores', async () => {
    const schema = limitedSchema({ store: fromGraphQLRateLimitStore(new InMemoryStore()) });
    expect(await concurrentPings(schema)).toBeGreaterThan(10);
  });
});

describe('applyRateLimits configuration', () => {
  it('fails at startup on a bad window', () => {
    expect(() => limitedSchema({ store: new MemoryCallerLimitStore(), override: { window: 'soon' } })).toThrow(
      /@rateLimit on Query.ping: rate limit window "soon"/,
    );
  });

  it('fails at startup on a bad max', () => {
    expect(() => limitedSchema({ store: new MemoryCallerLimitStore(), override: { max: 1.5 } })).toThrow(/max must be a positive integer/);
  });
});

describe('MemoryCallerLimitStore log size', () => {
  boundedLogBehaviour(() => {
    const clock = manualClock();
    const store = new MemoryCallerLimitStore({ clock });
    return { store, clock, entries: async () => store.entries };
  }, 20_000);
});
