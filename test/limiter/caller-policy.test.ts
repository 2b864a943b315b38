import { describe, expect, it } from 'vitest';
import { callerLimitPolicy } from '../../src/limiter/caller-policy.ts';

const policy = callerLimitPolicy({
  apiKeys: [
    { name: 'import', sha256: 'a'.repeat(64), limit: { max: 5000, window: '1d' } },
    { name: 'ci', sha256: 'b'.repeat(64) },
  ],
  session: { max: 20 },
  machine: { window: '15m' },
});

describe('which limit a caller gets', () => {
  it('gives a key its own limit, and a key without one the overall default', () => {
    expect(policy({ id: 'apikey:import', kind: 'apikey' })).toEqual({ max: 5000, window: '1d' });
    expect(policy({ id: 'apikey:ci', kind: 'apikey' })).toBeUndefined();
  });

  it('gives sessions and machines their defaults, part by part', () => {
    expect(policy({ id: 'user:user_1', kind: 'user' })).toEqual({ max: 20 });
    expect(policy({ id: 'machine:mch_1', kind: 'machine' })).toEqual({ window: '15m' });
  });

  it('never hands a key limit to a user or machine whose id imitates the key', () => {
    expect(policy({ id: 'apikey:import', kind: 'user' })).toEqual({ max: 20 });
    expect(policy({ id: 'apikey:import', kind: 'machine' })).toEqual({ window: '15m' });
    expect(policy({ id: 'apikey:import', kind: 'anonymous' })).toBeUndefined();
  });

  it('leaves every caller on the overall default when nothing is configured', () => {
    const none = callerLimitPolicy({ apiKeys: [], session: {}, machine: { max: undefined, window: undefined } });
    for (const kind of ['apikey', 'user', 'machine', 'anonymous'] as const) expect(none({ id: `${kind}:x`, kind })).toBeUndefined();
  });
});
