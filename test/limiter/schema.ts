import { execute, extendSchema, GraphQLSchema, parse, specifiedDirectives, type ExecutionResult } from 'graphql';
import { type ApplyRateLimitsOptions, applyRateLimits } from '../../src/limiter/apply-rate-limits.ts';
import { rateLimitDirective } from '../../src/limiter/directive.ts';

export interface TestContext {
  caller: string;
}

const typeDefs = `
  extend schema { query: Query mutation: Mutation }
  type Query {
    ping: String @rateLimit(max: 10, window: "1m")
    lookup(id: ID!): String @rateLimit(max: 1, window: "1m", identityArgs: ["id"])
    free: String
  }
  type Mutation {
    invite(emails: [String!]!): Int @rateLimit(max: 5, window: "1h", arrayLengthField: "emails")
    tryOnce: String @rateLimit(max: 1, window: "1m", uncountRejected: true, message: "Only once a minute")
  }
`;

/** A tiny schema written in SDL against the real directive definition, with the limits applied. */
export function limitedSchema(options: Omit<ApplyRateLimitsOptions<TestContext>, 'identify'>): GraphQLSchema {
  const base = new GraphQLSchema({ directives: [...specifiedDirectives, rateLimitDirective] });
  const schema = extendSchema(base, parse(typeDefs));
  const resolvers: Record<string, Record<string, (source: unknown, args: Record<string, unknown>) => unknown>> = {
    Query: { ping: () => 'pong', lookup: (_, args) => String(args.id), free: () => 'free' },
    Mutation: { invite: (_, args) => (args.emails as string[]).length, tryOnce: () => 'ok' },
  };
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName) as { getFields(): Record<string, { resolve?: unknown }> };
    for (const [name, resolve] of Object.entries(fields)) type.getFields()[name]!.resolve = resolve;
  }
  return applyRateLimits<TestContext>(schema, { ...options, identify: (context) => context.caller });
}

export async function run(schema: GraphQLSchema, query: string, caller = 'user:a', variables?: Record<string, unknown>): Promise<ExecutionResult> {
  return await execute({ schema, document: parse(query), contextValue: { caller }, variableValues: variables });
}

export function codes(result: ExecutionResult): string[] {
  return (result.errors ?? []).map((e) => String(e.extensions.code));
}

/** 100 concurrent single-field documents; resolves to how many were allowed. */
export async function concurrentPings(schema: GraphQLSchema, calls = 100, caller = 'user:a'): Promise<number> {
  const results = await Promise.all(Array.from({ length: calls }, () => run(schema, '{ ping }', caller)));
  return results.filter((r) => r.data?.ping === 'pong').length;
}

/** One document with 100 aliased fields, executed in parallel by graphql-js; resolves to how many ran. */
export async function aliasedPings(schema: GraphQLSchema, calls = 100, caller = 'user:a'): Promise<number> {
  const fields = Array.from({ length: calls }, (_, i) => `p${i}: ping`).join(' ');
  const result = await run(schema, `{ ${fields} }`, caller);
  return Object.values(result.data ?? {}).filter((v) => v === 'pong').length;
}
