import { afterEach, describe, expect, it } from 'vitest';
import { MAX_LOGGED_NAME_LENGTH } from '../../src/plugins/use-request-logging.ts';
import { startStack, type Stack } from '../support/stack.ts';

let stack: Stack | undefined;
afterEach(() => stack?.close());

const accessLines = (s: Stack) =>
  s.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['path'] === '/graphql' && typeof l['status'] === 'number');

describe('access log lines', () => {
  it('name the operation run, from the document when the client sends no operationName', async () => {
    stack = await startStack({ logLevel: 'info' });
    await stack.request('query Dashboard { gatewayStatus { pendingInvitations } }');
    await stack.request('query A { __typename } query B { gatewayStatus { pendingInvitations } }', undefined);
    await stack.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.apiKey}` },
      body: JSON.stringify({ query: 'query A { __typename } query B { __typename }', operationName: 'B' }),
    });
    await stack.request('{ __typename }');
    expect(accessLines(stack).map((l) => l['operationName'])).toEqual(['Dashboard', undefined, 'B', 'Anonymous']);
  });

  it('bound a client-chosen operation name, and drop one that is not a GraphQL name', async () => {
    stack = await startStack({ logLevel: 'info' });
    const long = `Op${'x'.repeat(5_000)}`;
    await stack.request(`query ${long} { __typename }`);
    // Never executed (the document does not parse): only the claimed name is there to log.
    await stack.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.apiKey}` },
      body: JSON.stringify({ query: '{', operationName: 'evil\n{"level":60,"msg":"forged"}' }),
    });
    const [first, second] = accessLines(stack);
    expect(first!['operationName']).toBe(`${long.slice(0, MAX_LOGGED_NAME_LENGTH)}…`);
    expect(second!['operationName']).toBeUndefined();
    expect(stack.logs.join('')).not.toContain('forged');
  });

  it('carry ISO-8601 timestamps, not epoch milliseconds', async () => {
    stack = await startStack({ logLevel: 'info' });
    await stack.request('{ __typename }');
    const [line] = accessLines(stack);
    expect(line!['time']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Math.abs(Date.parse(line!['time'] as string) - Date.now())).toBeLessThan(60 * 60_000);
  });
});
