import { expect, it } from 'vitest';
import { callerLimitReader, type RateLimitReport } from '../../src/limiter/apply-rate-limits.ts';
import type { CallerLimitStore } from '../../src/limiter/store.ts';
import { aliasedPings, codes, concurrentPings, limitedSchema, run, type TestContext } from './schema.ts';

/** The behaviour every store must give through the directive; `makeStore` returns a fresh, empty one. */
export function limiterBehaviour(makeStore: () => CallerLimitStore): void {
  it('lets exactly max of 100 concurrent calls from one caller through', async () => {
    expect(await concurrentPings(limitedSchema({ store: makeStore() }))).toBe(10);
  });

  it('lets exactly max of 100 aliases in one document through', async () => {
    expect(await aliasedPings(limitedSchema({ store: makeStore() }))).toBe(10);
  });

  it('keeps separate limits per caller', async () => {
    const schema = limitedSchema({ store: makeStore() });
    const [a, b] = await Promise.all([concurrentPings(schema, 30, 'user:a'), concurrentPings(schema, 30, 'user:b')]);
    expect([a, b]).toEqual([10, 10]);
  });

  it('counts list items with arrayLengthField', async () => {
    const schema = limitedSchema({ store: makeStore() });
    const invite = (emails: string[], caller = 'user:a') =>
      run(schema, 'mutation($e: [String!]!) { invite(emails: $e) }', caller, { e: emails });
    expect((await invite(['a', 'b', 'c'])).data?.invite).toBe(3);
    expect((await invite(['d', 'e'])).data?.invite).toBe(2);
    expect(codes(await invite(['f']))).toEqual(['RATE_LIMITED']);
    const oversized = await invite(['1', '2', '3', '4', '5', '6'], 'user:b');
    expect(codes(oversized)).toEqual(['RATE_LIMITED']);
    // An oversized call is not recorded: the same caller can still send 5.
    expect((await invite(['1', '2', '3', '4', '5'], 'user:b')).data?.invite).toBe(5);
  });

  it('counts an empty list as one call', async () => {
    const schema = limitedSchema({ store: makeStore() });
    const results = [];
    for (let i = 0; i < 6; i += 1) results.push(await run(schema, 'mutation { invite(emails: []) }'));
    expect(results.map((r) => r.data?.invite ?? null)).toEqual([0, 0, 0, 0, 0, null]);
  });

  it('keys by identityArgs', async () => {
    const schema = limitedSchema({ store: makeStore() });
    const lookup = (id: string) => run(schema, `{ lookup(id: "${id}") }`);
    expect((await lookup('1')).data?.lookup).toBe('1');
    expect(codes(await lookup('1'))).toEqual(['RATE_LIMITED']);
    expect((await lookup('2')).data?.lookup).toBe('2');
  });

  it('rejects with RATE_LIMITED, 429 and an integer Retry-After', async () => {
    const schema = limitedSchema({ store: makeStore() });
    await concurrentPings(schema, 10);
    const [error] = (await run(schema, '{ ping }')).errors ?? [];
    expect(error?.message).toBe("You are trying to access 'ping' too often");
    const { retryAfterSeconds, http } = error!.extensions as { retryAfterSeconds: number; http: { status: number; headers: Record<string, string> } };
    expect(Number.isInteger(retryAfterSeconds)).toBe(true);
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(http).toEqual({ status: 429, headers: { 'Retry-After': String(retryAfterSeconds) } });
  });

  it('leaves fields without the directive alone', async () => {
    const schema = limitedSchema({ store: makeStore() });
    const results = await Promise.all(Array.from({ length: 50 }, () => run(schema, '{ free }')));
    expect(results.every((r) => r.data?.free === 'free')).toBe(true);
  });

  it('applies the operator override to max and window', async () => {
    const schema = limitedSchema({ store: makeStore(), override: { max: 3, window: '2s' } });
    expect(await concurrentPings(schema, 20)).toBe(3);
    const [error] = (await run(schema, '{ ping }')).errors ?? [];
    expect(error?.extensions.retryAfterSeconds).toBe(2);
  });

  it('holds a caller with its own limit to it while another caller keeps the field default', async () => {
    const callerOverride = (context: TestContext) => (context.caller === 'apikey:import' ? { max: 7 } : undefined);
    const schema = limitedSchema({ store: makeStore(), callerOverride });
    const invite = (n: number, caller: string) =>
      run(schema, 'mutation($e: [String!]!) { invite(emails: $e) }', caller, { e: Array.from({ length: n }, (_, i) => `${i}@x.io`) });
    expect((await invite(5, 'apikey:import')).data?.invite).toBe(5);
    expect((await invite(2, 'apikey:import')).data?.invite).toBe(2);
    expect(codes(await invite(1, 'apikey:import'))).toEqual(['RATE_LIMITED']);
    expect((await invite(5, 'apikey:other')).data?.invite).toBe(5);
    expect(codes(await invite(1, 'apikey:other'))).toEqual(['RATE_LIMITED']);
  });

  it('keeps a caller override off fields outside overrideFields', async () => {
    const schema = limitedSchema({ store: makeStore(), callerOverride: () => ({ max: 50 }), overrideFields: ['Mutation.invite'] });
    expect(await concurrentPings(schema, 20)).toBe(10);
  });

  it('reports the limit and what remains after every check, refused ones too', async () => {
    const reports: RateLimitReport[] = [];
    const schema = limitedSchema({ store: makeStore(), onResult: (_context, report) => reports.push(report) });
    const invite = (n: number) => run(schema, 'mutation($e: [String!]!) { invite(emails: $e) }', 'user:a', { e: Array.from({ length: n }, (_, i) => `${i}@x.io`) });
    await invite(2);
    await invite(2);
    await invite(2);
    expect(reports.map((r) => [r.coordinate, r.max, r.windowMs, r.remaining])).toEqual([
      ['Mutation.invite', 5, 3_600_000, 3],
      ['Mutation.invite', 5, 3_600_000, 1],
      ['Mutation.invite', 5, 3_600_000, 1],
    ]);
    for (const r of reports) {
      expect(r.resetAfterMs).toBeGreaterThan(3_590_000);
      expect(r.resetAfterMs).toBeLessThanOrEqual(3_600_000);
    }
  });

  it('reads a caller limit without spending it, however often it is read', async () => {
    const options = { store: makeStore(), callerOverride: (c: TestContext) => (c.caller === 'user:b' ? { max: 2, window: '1d' } : undefined) };
    const schema = limitedSchema(options);
    const read = callerLimitReader(schema, 'Mutation.invite', { ...options, identify: (c: TestContext) => c.caller });
    expect(await read({ caller: 'user:a' })).toEqual({ max: 5, window: '1h', windowMs: 3_600_000, remaining: 5, resetAt: null });
    for (let i = 0; i < 20; i += 1) await read({ caller: 'user:a' });
    const before = Date.now();
    expect((await run(schema, 'mutation { invite(emails: ["a", "b"]) }', 'user:a')).data?.invite).toBe(2);
    const status = await read({ caller: 'user:a' });
    expect(status).toMatchObject({ max: 5, remaining: 3 });
    expect(status.resetAt).toBeGreaterThanOrEqual(before + 3_600_000 - 1000);
    expect(status.resetAt).toBeLessThanOrEqual(Date.now() + 3_600_000);
    for (let i = 0; i < 20; i += 1) await read({ caller: 'user:a' });
    expect((await run(schema, 'mutation { invite(emails: ["c", "d", "e"]) }', 'user:a')).data?.invite).toBe(3);
    expect(await read({ caller: 'user:b' })).toEqual({ max: 2, window: '1d', windowMs: 86_400_000, remaining: 2, resetAt: null });
  });

  it('refuses to read a field that has no limit', () => {
    const options = { store: makeStore() };
    expect(() => callerLimitReader(limitedSchema(options), 'Query.free', { ...options, identify: (c: TestContext) => c.caller })).toThrow(/Query.free has no @rateLimit/);
  });
}
