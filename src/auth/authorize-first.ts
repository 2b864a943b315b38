import type { GraphQLFieldConfig, GraphQLSchema } from 'graphql';
import { guardFields, isThenable, type FieldCheck } from '../field-guards.ts';

export type RunScopes<TContext> = (context: TContext, scopes: Record<string, unknown>) => unknown;

/** A field's own check of its arguments (`extensions: { authorize }`); throws to refuse. */
export type AuthorizeArgs<TContext> = (args: Record<string, unknown>, context: TContext) => void | Promise<void>;

/**
 * A field's Pothos `authScopes`, then its own `authorize` check of the arguments (which organization),
 * as a check to run before anything that wraps the schema from outside, such as the `@rateLimit`
 * limiter. Pothos checks scopes inside the resolver it builds, which the limiter then wraps; without
 * this, a caller without the right would spend its rate limit on FORBIDDEN answers. The scopes are
 * evaluated once per request either way (scope-auth caches them on the context).
 */
export function authorizationCheck<TContext>(fieldConfig: GraphQLFieldConfig<unknown, unknown>, coordinate: string, runScopes: RunScopes<TContext>): FieldCheck<TContext> | undefined {
  const options = fieldConfig.extensions?.['pothosOptions'] as { authScopes?: unknown } | undefined;
  const scopes = options?.authScopes;
  const authorize = fieldConfig.extensions?.['authorize'] as AuthorizeArgs<TContext> | undefined;
  if (scopes === undefined) return undefined;
  if (typeof scopes !== 'object' || scopes === null) {
    throw new TypeError(`authScopes on ${coordinate}: only a static scope map can be checked ahead of the rate limit`);
  }
  const scopeMap = scopes as Record<string, unknown>;
  if (!authorize) return (_args, context) => runScopes(context, scopeMap);
  return (args, context) => {
    const ran = runScopes(context, scopeMap);
    return isThenable(ran) ? ran.then(() => authorize(args, context)) : authorize(args, context);
  };
}

/** Checks each field's scopes (see authorizationCheck) before its resolver, and before any wrapper already around it. */
export function authorizeFirst<TContext>(schema: GraphQLSchema, runScopes: RunScopes<TContext>): GraphQLSchema {
  return guardFields<TContext>(schema, (field, coordinate) => [authorizationCheck(field, coordinate, runScopes)]);
}
