import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, type GraphQLSchema } from 'graphql';

export type RunScopes<TContext> = (context: TContext, scopes: Record<string, unknown>) => unknown;

/** A field's own check of its arguments (`extensions: { authorize }`); throws to refuse. */
export type AuthorizeArgs<TContext> = (args: Record<string, unknown>, context: TContext) => void | Promise<void>;

/**
 * Checks each field's Pothos `authScopes` before anything that wraps the schema from outside, such as
 * the `@rateLimit` limiter. Pothos checks scopes inside the resolver it builds, which the limiter then
 * wraps; without this, a caller without the right would spend its rate limit on FORBIDDEN answers.
 * The scopes are evaluated once per request either way (scope-auth caches them on the context).
 */
export function authorizeFirst<TContext>(schema: GraphQLSchema, runScopes: RunScopes<TContext>): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const options = fieldConfig.extensions?.['pothosOptions'] as { authScopes?: unknown } | undefined;
      const scopes = options?.authScopes;
      // A check that needs the field's arguments (which organization), run after the scopes.
      const authorize = fieldConfig.extensions?.['authorize'] as AuthorizeArgs<TContext> | undefined;
      if (scopes === undefined) return fieldConfig;
      if (typeof scopes !== 'object' || scopes === null) {
        throw new TypeError(`authScopes on ${typeName}.${fieldName}: only a static scope map can be checked ahead of the rate limit`);
      }
      const { resolve = defaultFieldResolver } = fieldConfig;
      return {
        ...fieldConfig,
        resolve: async (source, args, context, info) => {
          await runScopes(context as TContext, scopes as Record<string, unknown>);
          await authorize?.(args, context as TContext);
          return resolve(source, args, context, info);
        },
      };
    },
  });
}
