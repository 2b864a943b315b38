/*
 * Why the check lives in our stores and not in graphql-rate-limit's limiter: its limiter reads an
 * identity's timestamps, decides, then writes them back, two separate store calls. Any two calls that
 * overlap between the read and the write (Promise.all in one document, yoga batching, Redis round trips,
 * a second replica) both see the old count and both pass: 100 concurrent calls against a max of 10 all
 * got through. A limit is only a limit if "does it fit?" and "record it" are one atomic step, so our
 * `CallerLimitStore.hit` does both: synchronously in memory, in one Lua script in Redis.
 *
 * What we keep from graphql-rate-limit is everything around that step, so `@rateLimit` means what it
 * meant there: the directive's arguments and defaults (max 5, window 1m), its `ms` window notation
 * (parsed by its own `ms` dependency), its key building (`getFieldIdentity` with `identityArgs`), its
 * counting (the length of `arrayLengthField`, an empty list costing 1), recording rejected calls unless
 * `uncountRejected`, and its default message. Its stores still plug in through
 * `fromGraphQLRateLimitStore`, for comparison.
 */
import { createRequire } from 'node:module';
import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, type GraphQLFieldConfig, type GraphQLSchema } from 'graphql';
import { getFieldIdentity } from 'graphql-rate-limit';
import { RateLimitedError, ServiceUnavailableError } from '../errors.ts';
import { RATE_LIMIT_DIRECTIVE, type RateLimitDirectiveArgs } from './directive.ts';
import type { CallerLimitStore } from './store.ts';

export interface RateLimitOverride {
  /** Replaces every directive's `max` (RATE_LIMIT_MAX). */
  max?: number;
  /** Replaces every directive's `window` (RATE_LIMIT_WINDOW), in `ms` notation. */
  window?: string;
}

export interface ApplyRateLimitsOptions<TContext> {
  /** Where calls are counted. With more than one replica, use a `RedisCallerLimitStore`. */
  store: CallerLimitStore;
  /** Who is calling. Calls with the same identity share each field's limit. */
  identify: (context: TContext) => string;
  /** Operator values that win over the ones written in the schema. */
  override?: RateLimitOverride;
  /** Coordinates (`Mutation.createInvitations`) the override applies to; default every limited field. */
  overrideFields?: readonly string[];
  /** Calls that cost nothing (a replay of a stored answer) are neither checked nor counted. */
  exempt?: (coordinate: string, args: Record<string, unknown>, context: TContext) => Promise<boolean>;
}

/** graphql-rate-limit's defaults for a directive without `max` / `window`. */
const DEFAULT_MAX = 5;
const DEFAULT_WINDOW_MS = 60_000;

// graphql-rate-limit parses windows with `ms`; resolving it from that package's own location keeps the
// notation identical without depending on `ms` being installed at the top level.
const requireFromRateLimit = createRequire(createRequire(import.meta.url).resolve('graphql-rate-limit'));
const ms = requireFromRateLimit('ms') as (value: string) => number | undefined;

/** Window length in milliseconds for `ms` notation (`500ms`, `30s`, `15m`, `1h`, `1d`); throws when invalid. */
export function parseRateLimitWindow(window: string): number {
  let value: number | undefined;
  try {
    value = ms(window);
  } catch {
    value = undefined;
  }
  const rounded = Math.round(value ?? Number.NaN);
  if (!Number.isFinite(rounded) || rounded < 1) {
    throw new TypeError(`rate limit window "${window}" is not a duration like 500ms, 30s, 15m, 1h or 1d`);
  }
  return rounded;
}

interface FieldLimit {
  fieldIdentity: string;
  max: number;
  windowMs: number;
  message: string;
  identityArgs: readonly string[];
  arrayLengthField: string | undefined;
  countRejected: boolean;
}

/**
 * Wraps every object field that carries `@rateLimit` so each call is checked, and counted, before its
 * resolver runs. Directive values are validated here, so a bad window fails at startup, not per request.
 * Rejections throw `RateLimitedError` (429 with Retry-After); a store that cannot answer throws
 * `ServiceUnavailableError` (503), because letting calls through unchecked would void the limit.
 */
export function applyRateLimits<TContext>(schema: GraphQLSchema, options: ApplyRateLimitsOptions<TContext>): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      // Pothos in unordered mode can report the same directive twice (extensions and AST); they agree.
      const args = getDirective(schema, fieldConfig, RATE_LIMIT_DIRECTIVE)?.[0] as RateLimitDirectiveArgs | undefined;
      if (!args) return fieldConfig;
      const coordinate = `${typeName}.${fieldName}`;
      const overridden = !options.overrideFields || options.overrideFields.includes(coordinate);
      const limit = readLimit(coordinate, fieldConfig, args, overridden ? options.override : undefined);
      const { resolve = defaultFieldResolver } = fieldConfig;
      return {
        ...fieldConfig,
        resolve: async (source, fieldArgs, context, info) => {
          const exempt = (await options.exempt?.(coordinate, fieldArgs, context as TContext)) ?? false;
          if (!exempt) await check(limit, fieldArgs, context as TContext, options);
          return resolve(source, fieldArgs, context, info);
        },
      };
    },
  });
}

function readLimit(
  coordinate: string,
  fieldConfig: GraphQLFieldConfig<unknown, unknown>,
  args: RateLimitDirectiveArgs,
  override: RateLimitOverride = {},
): FieldLimit {
  const fail = (why: string) => new TypeError(`@rateLimit on ${coordinate}: ${why}`);
  // `||`, not `??`: graphql-rate-limit treats max 0 as "use the default".
  const max = override.max ?? (args.max || DEFAULT_MAX);
  if (!Number.isInteger(max) || max < 1) throw fail(`max must be a positive integer, got ${max}`);
  const window = override.window ?? args.window;
  let windowMs = DEFAULT_WINDOW_MS;
  try {
    if (window) windowMs = parseRateLimitWindow(window);
  } catch (error) {
    throw fail((error as Error).message);
  }
  const { arrayLengthField } = args;
  if (arrayLengthField && !fieldConfig.args?.[arrayLengthField]) {
    throw fail(`arrayLengthField "${arrayLengthField}" is not an argument of the field`);
  }
  const fieldName = coordinate.slice(coordinate.indexOf('.') + 1);
  return {
    // The type name is part of the key so Query.x and Mutation.x do not share a limit.
    fieldIdentity: coordinate,
    max,
    windowMs,
    message: args.message ?? `You are trying to access '${fieldName}' too often`,
    identityArgs: args.identityArgs ?? [],
    arrayLengthField: arrayLengthField ?? undefined,
    countRejected: !args.uncountRejected,
  };
}

async function check<TContext>(
  limit: FieldLimit,
  fieldArgs: Record<string, unknown>,
  context: TContext,
  { store, identify }: ApplyRateLimitsOptions<TContext>,
): Promise<void> {
  const contextIdentity = identify(context);
  const fieldIdentity = getFieldIdentity(limit.fieldIdentity, limit.identityArgs, fieldArgs);
  const list = limit.arrayLengthField ? fieldArgs[limit.arrayLengthField] : undefined;
  const units = (Array.isArray(list) && list.length) || 1;
  let result;
  try {
    result = await store.hit({ contextIdentity, fieldIdentity }, { units, max: limit.max, windowMs: limit.windowMs, countRejected: limit.countRejected });
  } catch (cause) {
    const error = new ServiceUnavailableError('The rate limiter cannot check this call right now; nothing was done. Retry shortly.', 2);
    error.cause = cause;
    throw error;
  }
  if (result.allowed) return;
  const message = units > limit.max ? `${limit.message}: this call counts ${units} and the limit is ${limit.max} per window` : limit.message;
  throw new RateLimitedError(message, Math.ceil(result.retryAfterMs / 1000));
}
