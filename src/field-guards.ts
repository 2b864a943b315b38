import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, type GraphQLFieldConfig, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { GatewayError } from './errors.ts';

/** One check of a field call before its resolver: throws (or rejects) to refuse it; may be synchronous. */
export type FieldCheck<TContext> = (args: Record<string, unknown>, context: TContext) => unknown;

/** The checks a field gets, in the order they run; `undefined` entries are skipped. */
export type FieldChecks<TContext> = (field: GraphQLFieldConfig<unknown, unknown>, coordinate: string) => readonly (FieldCheck<TContext> | undefined)[];

export const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/** A refusal is placed at the field it refused, so it reaches the answer as it is (see GatewayError.placeAt). */
const placed = (error: unknown, info: GraphQLResolveInfo) => (error instanceof GatewayError ? error.placeAt(info) : error);

/** Runs checks from `from` on: synchronously while they are, waiting only for one that returns a promise. */
function runChecks<TContext>(
  checks: readonly FieldCheck<TContext>[],
  from: number,
  args: Record<string, unknown>,
  context: TContext,
  info: GraphQLResolveInfo,
  resolve: () => unknown,
): unknown {
  for (let i = from; i < checks.length; i++) {
    let ran: unknown;
    try {
      ran = checks[i]!(args, context);
    } catch (error) {
      throw placed(error, info);
    }
    if (isThenable(ran)) {
      return ran.then(
        () => runChecks(checks, i + 1, args, context, info, resolve),
        (error: unknown) => {
          throw placed(error, info);
        },
      );
    }
  }
  return resolve();
}

/**
 * Puts every field's checks (authorization, then the caller limit) in front of its resolver as one
 * wrapper, so a guarded call pays for one function around its resolver and a promise only where a
 * check needs one, instead of an async wrapper per concern.
 */
export function guardFields<TContext>(schema: GraphQLSchema, checksOf: FieldChecks<TContext>): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const checks = checksOf(fieldConfig, `${typeName}.${fieldName}`).filter((check): check is FieldCheck<TContext> => check !== undefined);
      if (checks.length === 0) return fieldConfig;
      const { resolve = defaultFieldResolver } = fieldConfig;
      return {
        ...fieldConfig,
        resolve: (source, args, context, info) => runChecks(checks, 0, args, context as TContext, info, () => resolve(source, args, context, info)),
      };
    },
  });
}
