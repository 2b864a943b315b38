import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { specifiedDirectives } from 'graphql';
import { describe, expect, it } from 'vitest';
import { applyRateLimits } from '../../src/limiter/apply-rate-limits.ts';
import { rateLimitDirective } from '../../src/limiter/directive.ts';
import { MemoryCallerLimitStore } from '../../src/limiter/memory-store.ts';
import { codes, concurrentPings, run } from './schema.ts';

function pothosSchema() {
  const builder = new SchemaBuilder<{
    Context: { caller: string };
    Directives: {
      rateLimit: { locations: 'FIELD_DEFINITION'; args: { max?: number; window?: string; arrayLengthField?: string } };
    };
  }>({
    plugins: [DirectivesPlugin],
    directives: { useGraphQLToolsUnorderedDirectives: true },
    // The gateway's builder loads plugin-scope-auth, whose global types make this option required everywhere.
    scopeAuth: { authScopes: () => ({}) },
  });
  builder.queryType({
    fields: (t) => ({
      ping: t.string({ nullable: true, directives: { rateLimit: { window: '1m', max: 10 } }, resolve: () => 'pong' }),
    }),
  });
  builder.mutationType({
    fields: (t) => ({
      invite: t.int({
        args: { emails: t.arg.stringList({ required: true }) },
        directives: { rateLimit: { max: 5, window: '1h', arrayLengthField: 'emails' } },
        resolve: (_, args) => args.emails.length,
      }),
    }),
  });
  return builder.toSchema({ directives: [...specifiedDirectives, rateLimitDirective] });
}

describe('@rateLimit on a Pothos schema', () => {
  it('prints the directive in the SDL', () => {
    const sdl = printSchemaWithDirectives(pothosSchema());
    // Pothos sorts the schema, so the arguments print in alphabetical order.
    expect(sdl).toContain(
      'directive @rateLimit(arrayLengthField: String, identityArgs: [String], max: Int, message: String, uncountRejected: Boolean, window: String) on FIELD_DEFINITION',
    );
    expect(sdl).toContain('invite(emails: [String!]!): Int @rateLimit(max: 5, window: "1h", arrayLengthField: "emails")');
  });

  it('limits calls as declared', async () => {
    const schema = applyRateLimits(pothosSchema(), { store: new MemoryCallerLimitStore(), identify: (c: { caller: string }) => c.caller });
    expect(await concurrentPings(schema)).toBe(10);
    const invite = (n: number) =>
      run(schema, 'mutation($e: [String!]!) { invite(emails: $e) }', 'user:a', { e: Array.from({ length: n }, (_, i) => `${i}@x.io`) });
    expect((await invite(3)).data?.invite).toBe(3);
    expect((await invite(2)).data?.invite).toBe(2);
    expect(codes(await invite(1))).toEqual(['RATE_LIMITED']);
  });
});
