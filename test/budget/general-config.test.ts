import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('general limit settings', () => {
  it('leaves the limit to the key and half of it to the customer by default', () => {
    const config = loadConfig({});
    expect(config.upstream.generalPer10s).toBeUndefined();
    expect(config.upstream.generalReservePercent).toBe(50);
  });

  it('takes an override and a reserve', () => {
    const config = loadConfig({ UPSTREAM_GENERAL_PER_10S: '500', UPSTREAM_GENERAL_RESERVE_PERCENT: '0' });
    expect(config.upstream.generalPer10s).toBe(500);
    expect(config.upstream.generalReservePercent).toBe(0);
  });

  it.each([
    ['UPSTREAM_GENERAL_PER_10S', '0'],
    ['UPSTREAM_GENERAL_PER_10S', 'lots'],
    ['UPSTREAM_GENERAL_PER_10S', '2.5'],
    ['UPSTREAM_GENERAL_RESERVE_PERCENT', '95'],
    ['UPSTREAM_GENERAL_RESERVE_PERCENT', '-1'],
  ])('refuses %s=%s, naming the variable and the value', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`${name}="${value}"`);
  });
});
