import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GraphQLError, ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export interface OperationLimitOptions {
  /** MAX_QUERY_DEPTH: nesting of selections. */
  maxDepth: number;
  /** MAX_QUERY_ALIASES: aliases per operation; each alias runs its field again. */
  maxAliases: number;
  /** MAX_QUERY_COST: graphql-armor's cost (objects 2, scalars 1, growing with depth). */
  maxCost: number;
  /** Hide "Did you mean …?" hints, which leak the schema when introspection is off. */
  blockFieldSuggestions: boolean;
}

/**
 * Armor's validation rules throw by default, which yoga then answers with status 200 and no code.
 * Reported through the validation context, a refusal is an ordinary validation error: 400,
 * GRAPHQL_VALIDATION_FAILED.
 */
const asValidationError = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

/**
 * Refuses documents that are expensive to parse, validate or run, at validation time, before any
 * resolver (and so before any rate-limit count or Clerk call). Introspection is exempt from depth and
 * cost, as GraphiQL's own query is deep; the INTROSPECTION switch decides whether it may run at all.
 */
export function useOperationLimits({ maxDepth, maxAliases, maxCost, blockFieldSuggestions }: OperationLimitOptions): Plugin {
  return EnvelopArmorPlugin({
    maxDepth: { n: maxDepth, ignoreIntrospection: true, flattenFragments: true, ...asValidationError },
    maxAliases: { n: maxAliases, ...asValidationError },
    costLimit: { maxCost, ignoreIntrospection: true, ...asValidationError },
    // Checked while parsing, where a throw is a syntax error (400) already. 100 inline invitations with
    // metadata stay well below this; the body size limit bounds the rest.
    maxTokens: { n: 20_000 },
    maxDirectives: { n: 50, ...asValidationError },
    blockFieldSuggestion: { enabled: blockFieldSuggestions },
  }) as Plugin;
}
