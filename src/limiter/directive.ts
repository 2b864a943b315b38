import {
  DirectiveLocation,
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLInt,
  GraphQLList,
  GraphQLString,
} from 'graphql';

export const RATE_LIMIT_DIRECTIVE = 'rateLimit';

/**
 * The arguments of `@rateLimit`, graphql-rate-limit's own set (without `readOnly`, which the SDL does not
 * declare), so schemas written for that package keep their meaning.
 */
export interface RateLimitDirectiveArgs {
  /** Units allowed per window and caller. @default 5 */
  max?: number;
  /** Window length in `ms` notation: `500ms`, `30s`, `15m`, `1h`, `1d`. @default '1m' */
  window?: string;
  /** Error message on rejection. @default "You are trying to access '<field>' too often" */
  message?: string;
  /** Argument paths whose values become part of the key, so each value gets its own limit. */
  identityArgs?: string[];
  /** A list argument whose length is the number of units a call costs (an empty list costs 1). */
  arrayLengthField?: string;
  /** Do not record rejected calls. By default they count, so a client that keeps retrying stays blocked. */
  uncountRejected?: boolean;
}

/** Pass to `toSchema({ directives: [...specifiedDirectives, rateLimitDirective] })`. */
export const rateLimitDirective = new GraphQLDirective({
  name: RATE_LIMIT_DIRECTIVE,
  locations: [DirectiveLocation.FIELD_DEFINITION],
  args: {
    max: { type: GraphQLInt },
    window: { type: GraphQLString },
    message: { type: GraphQLString },
    identityArgs: { type: new GraphQLList(GraphQLString) },
    arrayLengthField: { type: GraphQLString },
    uncountRejected: { type: GraphQLBoolean },
  },
});
