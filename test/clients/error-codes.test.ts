import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { GATEWAY_ERROR_CODES, gatewayErrorCode, type GatewayErrorCode } from '../../client/error-codes.ts';
import { ERROR_CODE_MEANINGS, ERROR_CODES, type ErrorCode } from '../../src/errors.ts';
import { schema } from '../../src/schema/index.ts';

describe('the top-level error codes cannot drift apart', () => {
  it('the client list is exactly the server list, in the same order', () => {
    expect([...GATEWAY_ERROR_CODES]).toEqual(ERROR_CODES);
    // Also as types: tsc (npm test) fails when one union gains a member the other lacks.
    expectTypeOf<GatewayErrorCode>().toEqualTypeOf<ErrorCode>();
  });

  it('the schema description, built and committed, lists every code with its meaning', async () => {
    const committed = await readFile(new URL('../../schema.graphql', import.meta.url), 'utf8');
    for (const code of ERROR_CODES) {
      const line = `- ${code}: ${ERROR_CODE_MEANINGS[code]}`;
      expect(schema.description).toContain(line);
      expect(committed).toContain(line);
    }
  });

  it('every code an error class in src sets is listed (the type checks GatewayError; this also catches a bare GraphQLError)', async () => {
    const root = new URL('../../src/', import.meta.url);
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.ts') && !f.startsWith('emulator'));
    const used = new Set<string>();
    for (const file of files) {
      const text = await readFile(new URL(file, root), 'utf8');
      // Per-item outcomes (InvitationFailed.code) are data with codes of their own; only error classes count.
      if (!/\b(GraphQLError|GatewayError)\b/.test(text)) continue;
      for (const match of text.matchAll(/\bcode: '([A-Z_]+)'/g)) used.add(match[1]!);
    }
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((c) => !(ERROR_CODES as string[]).includes(c))).toEqual([]);
  });

  it('gatewayErrorCode narrows only known codes', () => {
    expect(gatewayErrorCode({ extensions: { code: 'NOT_FOUND' } })).toBe('NOT_FOUND');
    expect(gatewayErrorCode({ extensions: { code: 'SOMETHING_ELSE' } })).toBeUndefined();
    expect(gatewayErrorCode({ extensions: null })).toBeUndefined();
    expect(gatewayErrorCode({})).toBeUndefined();
  });
});
