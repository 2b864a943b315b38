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
import { getDirective } from '@graphql-tools/utils';
import type { GraphQLField, GraphQLFieldConfig, GraphQLSchema } from 'graphql';
import { getFieldIdentity } from 'graphql-rate-limit';
import { RateLimitedError, ServiceUnavailableError } from '../errors.ts';
import { guardFields, type FieldCheck } from '../field-guards.ts';
import { RATE_LIMIT_DIRECTIVE, type RateLimitDirectiveArgs } from './directive.ts';
import type { CallerLimitStore } from './store.ts';

export interface RateLimitOverride {
  /** Replaces every directive's `max` (RATE_LIMIT_MAX). */
  max?: number;
  /** Replaces every directive's `window` (RATE_LIMIT_WINDOW), in `ms` notation. */
  window?: string;
}

/** The limit that applied to one call and what is left of it, for response headers. */
export interface RateLimitReport {
  coordinate: string;
  max: number;
  windowMs: number;
  remaining: number;
  /** See `HitResult.resetAfterMs`. */
  resetAfterMs: number;
}

/** A caller's effective limit on one field, read without spending it. */
export interface CallerLimitStatus {
  max: number;
  /** In `ms` notation, as configured: `1h`, `1d`. */
  window: string;
  windowMs: number;
  remaining: number;
  /** Epoch ms when the oldest counted unit leaves the window; null when nothing is counted. */
  resetAt: number | null;
}

export interface ApplyRateLimitsOptions<TContext> {
  /** Where calls are counted. With more than one replica, use a `RedisCallerLimitStore`. */
  store: CallerLimitStore;
  /** Who is calling. Calls with the same identity share each field's limit. */
  identify: (context: TContext) => string;
  /** Operator values that win over the ones written in the schema. */
  override?: RateLimitOverride;
  /**
   * Values for one caller (an API key's own limit, a default for sessions), which win over `override`
   * part by part. A caller must always get the same answer, or its log would be judged by two limits.
   */
  callerOverride?: (context: TContext) => RateLimitOverride | undefined;
  /** Coordinates (`Mutation.createInvitations`) the overrides apply to; default every limited field. */
  overrideFields?: readonly string[];
  /** Calls that cost nothing (a replay of a stored answer) are neither checked nor counted; answers at once where it can. */
  exempt?: (coordinate: string, args: Record<string, unknown>, context: TContext) => boolean | Promise<boolean>;
  /** Told the limit and what remains after every check, admitted or not (and after a peek for an exempt call). */
  onResult?: (context: TContext, report: RateLimitReport) => void;
}

/** graphql-rate-limit's defaults for a directive without `max` / `window`. */
const DEFAULT_MAX = 5;
const DEFAULT_WINDOW = '1m';
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
  coordinate: string;
  fieldIdentity: string;
  max: number;
  window: string;
  windowMs: number;
  message: string;
  identityArgs: readonly string[];
  arrayLengthField: string | undefined;
  countRejected: boolean;
  /** Whether the operator's overrides apply to this field. */
  overridable: boolean;
}

/**
 * Wraps every object field that carries `@rateLimit` so each call is checked, and counted, before its
 * resolver runs. Directive values are validated here, so a bad window fails at startup, not per request.
 * Rejections throw `RateLimitedError` (429 with Retry-After); a store that cannot answer throws
 * `ServiceUnavailableError` (503), because letting calls through unchecked would void the limit.
 */
export function applyRateLimits<TContext>(schema: GraphQLSchema, options: ApplyRateLimitsOptions<TContext>): GraphQLSchema {
  return guardFields<TContext>(schema, (field, coordinate) => [rateLimitCheck(schema, field, coordinate, options)]);
}

/**
 * The `@rateLimit` check of one field as a field check (see `guardFields`), or undefined when the field
 * has none; validates the directive's values, so a bad window fails at startup.
 */
export function rateLimitCheck<TContext>(
  schema: GraphQLSchema,
  fieldConfig: GraphQLFieldConfig<unknown, unknown>,
  coordinate: string,
  options: ApplyRateLimitsOptions<TContext>,
): FieldCheck<TContext> | undefined {
  const limit = fieldLimit(schema, fieldConfig, coordinate, Object.keys(fieldConfig.args ?? {}), options);
  if (!limit) return undefined;
  const admit = (exempt: boolean, fieldArgs: Record<string, unknown>, context: TContext) => {
    if (!exempt) return check(limit, fieldArgs, context, options);
    return options.onResult ? reportPeek(limit, fieldArgs, context, options) : undefined;
  };
  return (fieldArgs, context) => {
    const exempt = options.exempt?.(limit.coordinate, fieldArgs, context) ?? false;
    return typeof exempt === 'boolean' ? admit(exempt, fieldArgs, context) : exempt.then((yes) => admit(yes, fieldArgs, context));
  };
}

/**
 * Reads a caller's effective limit on one field (`Mutation.createInvitations`) without recording anything.
 * Fails at startup when the field has no `@rateLimit`. Keys built from `identityArgs` are per argument
 * value, so for such fields the reading is the one for calls without those arguments.
 */
export function callerLimitReader<TContext>(
  schema: GraphQLSchema,
  coordinate: string,
  options: ApplyRateLimitsOptions<TContext>,
): (context: TContext) => Promise<CallerLimitStatus> {
  const [typeName = '', fieldName = ''] = coordinate.split('.');
  const type = schema.getType(typeName);
  const field = type && 'getFields' in type ? (type.getFields() as Record<string, GraphQLField<unknown, unknown>>)[fieldName] : undefined;
  const limit = field && fieldLimit(schema, field, coordinate, field.args.map((a) => a.name), options);
  if (!limit) throw new TypeError(`${coordinate} has no @rateLimit to read`);
  return async (context) => {
    const { max, window, windowMs } = effective(limit, context, options);
    const identity = { contextIdentity: options.identify(context), fieldIdentity: getFieldIdentity(limit.fieldIdentity, limit.identityArgs, {}) };
    const now = Date.now();
    let peek;
    try {
      peek = await options.store.peek(identity, { max, windowMs });
    } catch (cause) {
      throw unavailable(cause);
    }
    return { max, window, windowMs, remaining: peek.remaining, resetAt: peek.used > 0 ? now + peek.resetAfterMs : null };
  };
}

function fieldLimit<TContext>(
  schema: GraphQLSchema,
  field: Parameters<typeof getDirective>[1],
  coordinate: string,
  argNames: readonly string[],
  options: ApplyRateLimitsOptions<TContext>,
): FieldLimit | undefined {
  // Pothos in unordered mode can report the same directive twice (extensions and AST); they agree.
  const args = getDirective(schema, field, RATE_LIMIT_DIRECTIVE)?.[0] as RateLimitDirectiveArgs | undefined;
  if (!args) return undefined;
  const overridable = !options.overrideFields || options.overrideFields.includes(coordinate);
  return readLimit(coordinate, argNames, args, overridable ? options.override : undefined, overridable);
}

function readLimit(
  coordinate: string,
  argNames: readonly string[],
  args: RateLimitDirectiveArgs,
  override: RateLimitOverride = {},
  overridable: boolean,
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
  if (arrayLengthField && !argNames.includes(arrayLengthField)) {
    throw fail(`arrayLengthField "${arrayLengthField}" is not an argument of the field`);
  }
  const fieldName = coordinate.slice(coordinate.indexOf('.') + 1);
  return {
    coordinate,
    // The type name is part of the key so Query.x and Mutation.x do not share a limit.
    fieldIdentity: coordinate,
    max,
    window: window || DEFAULT_WINDOW,
    windowMs,
    message: args.message ?? `You are trying to access '${fieldName}' too often`,
    identityArgs: args.identityArgs ?? [],
    arrayLengthField: arrayLengthField ?? undefined,
    countRejected: !args.uncountRejected,
    overridable,
  };
}

/** The field's limit with this caller's own values laid over it. */
function effective<TContext>(limit: FieldLimit, context: TContext, options: ApplyRateLimitsOptions<TContext>): { max: number; window: string; windowMs: number } {
  const own = limit.overridable ? options.callerOverride?.(context) : undefined;
  if (!own) return limit;
  const max = own.max ?? limit.max;
  if (!Number.isInteger(max) || max < 1) throw new TypeError(`caller limit on ${limit.coordinate}: max must be a positive integer, got ${max}`);
  return own.window ? { max, window: own.window, windowMs: cachedWindow(own.window) } : { max, window: limit.window, windowMs: limit.windowMs };
}

// Callers' windows come from configuration, so there are few distinct values; each is parsed once.
const windows = new Map<string, number>();
function cachedWindow(window: string): number {
  let windowMs = windows.get(window);
  if (windowMs === undefined) windows.set(window, (windowMs = parseRateLimitWindow(window)));
  return windowMs;
}

function unavailable(cause: unknown): ServiceUnavailableError {
  const error = new ServiceUnavailableError('The rate limiter cannot check this call right now; nothing was done. Retry shortly.', 2);
  error.cause = cause;
  return error;
}

function check<TContext>(limit: FieldLimit, fieldArgs: Record<string, unknown>, context: TContext, options: ApplyRateLimitsOptions<TContext>): Promise<void> {
  const { store, identify, onResult } = options;
  const { max, windowMs } = effective(limit, context, options);
  const contextIdentity = identify(context);
  const fieldIdentity = getFieldIdentity(limit.fieldIdentity, limit.identityArgs, fieldArgs);
  const list = limit.arrayLengthField ? fieldArgs[limit.arrayLengthField] : undefined;
  const units = (Array.isArray(list) && list.length) || 1;
  let hit;
  try {
    hit = store.hit({ contextIdentity, fieldIdentity }, { units, max, windowMs, countRejected: limit.countRejected });
  } catch (cause) {
    return Promise.reject(unavailable(cause));
  }
  return hit.then(
    (result) => {
      onResult?.(context, { coordinate: limit.coordinate, max, windowMs, remaining: result.remaining, resetAfterMs: result.resetAfterMs });
      if (result.allowed) return;
      const message = units > max ? `${limit.message}: this call counts ${units} and the limit is ${max} per window` : limit.message;
      throw new RateLimitedError(message, Math.ceil(result.retryAfterMs / 1000));
    },
    (cause: unknown) => {
      throw unavailable(cause);
    },
  );
}

/** An exempt call spends nothing, but its answer still tells the caller where it stands. */
async function reportPeek<TContext>(limit: FieldLimit, fieldArgs: Record<string, unknown>, context: TContext, options: ApplyRateLimitsOptions<TContext>): Promise<void> {
  const { max, windowMs } = effective(limit, context, options);
  const identity = { contextIdentity: options.identify(context), fieldIdentity: getFieldIdentity(limit.fieldIdentity, limit.identityArgs, fieldArgs) };
  try {
    const peek = await options.store.peek(identity, { max, windowMs });
    options.onResult?.(context, { coordinate: limit.coordinate, max, windowMs, remaining: peek.remaining, resetAfterMs: peek.resetAfterMs });
  } catch {
    // The call itself needs no limiter; it goes on without the report.
  }
}
