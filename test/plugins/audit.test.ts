import { auditServer, type AuditResult } from 'graphql-http';
import { createYoga, createSchema } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.ts';

const tally = (results: AuditResult[]) => {
  const counts: Record<string, number> = { ok: 0, notice: 0, warn: 0, error: 0 };
  for (const result of results) counts[result.status] = (counts[result.status] ?? 0) + 1;
  return counts;
};
const failures = (results: AuditResult[]) => results.filter((r) => r.status !== 'ok').map((r) => `${r.id} ${r.name}: ${r.status}`);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

describe('GraphQL over HTTP (graphql-http audits)', () => {
  it('plain yoga, for reference: 61 ok', async () => {
    const yoga = createYoga({ schema: createSchema({ typeDefs: 'type Query { hello: String }' }), logging: false });
    const results = await auditServer({ url: 'http://yoga.test/graphql', fetchFn: (input: string, init: RequestInit = {}) => yoga.fetch(input, init) });
    expect(failures(results)).toEqual([]);
    expect(tally(results)).toEqual({ ok: 61, notice: 0, warn: 0, error: 0 });
  });

  it('the gateway with authentication on, called with an API key: 61 ok as well', async () => {
    const withKey = (input: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${stack.apiKey}`);
      return stack.app.yoga.fetch(input, { ...init, headers });
    };
    const results = await auditServer({ url: 'http://gateway.test/graphql', fetchFn: withKey });
    expect(failures(results)).toEqual([]);
    expect(tally(results)).toEqual({ ok: 61, notice: 0, warn: 0, error: 0 });
  });

  it('and without a credential, every request is refused before the GraphQL layer', async () => {
    const results = await auditServer({
      url: 'http://gateway.test/graphql',
      fetchFn: (input: string, init: RequestInit = {}) => stack.app.yoga.fetch(input, init),
    });
    expect(tally(results).ok).toBeLessThan(61);
    expect(stack.emulator.calls).toEqual([]);
  });
});
