import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { GraphQLError, TypeInfo, ValidationContext, visit, type DocumentNode, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export interface OperationLimitOptions {
  /** MAX_QUERY_DEPTH: nesting of selections. */
  maxDepth: number;
  /** MAX_QUERY_ALIASES: aliases per operation; each alias runs its field again. */
  maxAliases: number;
  /** MAX_QUERY_COST: graphql-armor's cost (objects 2, scalars 1, growing with depth), page sizes aside. */
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
 * graphql-armor multiplies a field's cost by a literal `first`/`last` and ignores a variable one, so
 * `invitations(first: 50)` cost fifty times what `invitations(first: $n)` with n = 100 did. The page
 * size does not multiply the work here: one page is one Clerk list call whatever its size, the size is
 * bounded (1..100) by the field itself, and the call by its @rateLimit. So the cost rule sees the
 * document without those arguments: literal and variable page sizes count the same, as nothing.
 */
const withoutPageSizes = (document: DocumentNode): DocumentNode =>
  visit(document, { Argument: (node) => (node.name.value === 'first' || node.name.value === 'last' ? null : undefined) });

/** armor words every refusal as a "Syntax Error"; this one names the limit and how to get under it. */
function costError(armorMessage: string, maxCost: number): GraphQLError {
  const found = /found (\d+(?:\.\d+)?)/.exec(armorMessage)?.[1];
  // armor's cost has fractions (a depth factor of 1.5); the caller needs the size, not the decimals.
  const cost = found === undefined ? undefined : Math.ceil(Number(found));
  return new GraphQLError(
    `Query cost ${cost ?? 'over the limit'} exceeds the limit of ${maxCost} (MAX_QUERY_COST); select fewer fields or use fewer aliases.`,
    { extensions: { limit: 'MAX_QUERY_COST', maxCost, cost } },
  );
}

function queryCostRule(maxCost: number): ValidationRule {
  return (context) => {
    const document = withoutPageSizes(context.getDocument());
    const schema = context.getSchema();
    // armor reads fragments through its context, so it gets one over the edited document too.
    const edited = new ValidationContext(schema, document, new TypeInfo(schema), () => {});
    const onReject = [(_: unknown, error: GraphQLError) => context.reportError(costError(error.message, maxCost))];
    visit(document, costLimitRule({ maxCost, ignoreIntrospection: true, propagateOnRejection: false, onReject })(edited));
    return {};
  };
}

/**
 * Refuses documents that are expensive to parse, validate or run, at validation time, before any
 * resolver (and so before any rate-limit count or Clerk call): 400 GRAPHQL_VALIDATION_FAILED.
 * Besides the options, two fixed limits apply: more than 20,000 tokens is refused while parsing
 * (400 GRAPHQL_PARSE_FAILED), and more than 50 directives at validation. Introspection is exempt from depth and
 * cost, as GraphiQL's own query is deep; the INTROSPECTION switch decides whether it may run at all.
 */
export function useOperationLimits({ maxDepth, maxAliases, maxCost, blockFieldSuggestions }: OperationLimitOptions): Plugin {
  const armor = EnvelopArmorPlugin({
    maxDepth: { n: maxDepth, ignoreIntrospection: true, flattenFragments: true, ...asValidationError },
    maxAliases: { n: maxAliases, ...asValidationError },
    costLimit: { enabled: false },
    // Checked while parsing, where a throw is a syntax error (400) already. 100 inline invitations with
    // metadata stay well below this; the body size limit bounds the rest.
    maxTokens: { n: 20_000 },
    maxDirectives: { n: 50, ...asValidationError },
    blockFieldSuggestion: { enabled: blockFieldSuggestions },
  }) as Plugin;
  const cost: Plugin = { onValidate: ({ addValidationRule }) => addValidationRule(queryCostRule(maxCost)) };
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(armor);
      addPlugin(cost);
    },
  };
}
