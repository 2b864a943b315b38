import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { GatewayError, withoutStack, type ErrorCode } from '../errors.ts';

interface HttpExtension {
  status?: number;
  headers?: Record<string, string>;
  /** yoga's own flag: the status applies to application/graphql-response+json only. */
  spec?: boolean;
}

/**
 * Refusals of the HTTP request itself, before its body is read, keep their status whatever the media
 * type: a missing or invalid credential (401, WWW-Authenticate), which clients already treat as "sign
 * in again", and a cookie request a browser did not preflight (403), which only a forged cross-site
 * request makes and whose body nobody reads.
 */
const ALWAYS_SENT = new Set<ErrorCode>(['UNAUTHENTICATED', 'CSRF_BLOCKED']);

function withHttp(error: GraphQLError, http: HttpExtension | undefined): GraphQLError {
  const { http: _old, ...rest } = error.extensions;
  // The gateway's own error has said all it has to (message, extensions) and was logged and traced
  // already; yoga copies an error and each original again as it writes the answer, so leaving it off
  // spares a copy and the formatting of a stack nobody reads.
  const originalError = error.originalError instanceof GatewayError ? undefined : error.originalError;
  // The copy keeps the error's own stack instead of capturing one that would only point here.
  const copy = withoutStack(
    () =>
      new GraphQLError(error.message, {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: error.path,
        originalError,
        extensions: http ? { ...rest, http } : rest,
      }),
  );
  // A gateway error has no frames to keep; reading its stack would only format its first line.
  if (!(error instanceof GatewayError) && !originalError?.stack) Object.defineProperty(copy, 'stack', { value: error.stack, writable: true, configurable: true });
  return copy;
}

const isGatewayError = (error: GraphQLError) => error instanceof GatewayError || error.originalError instanceof GatewayError;

/**
 * The status an error asks for, as the GraphQL-over-HTTP spec allows it:
 * - the operation ran and produced data: the spec requires 2xx for both media types, so the error
 *   keeps only its headers (Retry-After);
 * - it produced no data (`data: null`, or no `data` entry at all): the gateway's status stands for
 *   application/graphql-response+json, where a client asked for status codes; for application/json
 *   (also no Accept, or *\/*) `spec: true` makes yoga answer 200 (but see ALWAYS_SENT), so clients that throw
 *   away any non-2xx body (Apollo Client's HttpLink) still see the GraphQL errors and their codes.
 * yoga's own request errors (body, parameters, parse, validation) already carry the right flags.
 */
function adjustError(error: GraphQLError, hasData: boolean, executed: boolean): GraphQLError {
  const http = error.extensions?.http as HttpExtension | undefined;
  if (hasData) return http?.status === undefined ? error : withHttp(error, http.headers ? { headers: http.headers } : undefined);
  // An unexpected failure before execution: yoga would answer 500 even for application/json.
  if (!executed && http === undefined && error.extensions?.unexpected) return withHttp(error, { status: 500, spec: true });
  if (!isGatewayError(error) || http?.status === undefined || http.spec || ALWAYS_SENT.has(error.extensions.code as ErrorCode)) return error;
  return withHttp(error, { ...http, spec: true });
}

function adjust(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  const hasData = result.data !== null && result.data !== undefined;
  return { ...result, errors: result.errors.map((e) => adjustError(e, hasData, 'data' in result)) };
}

/**
 * Decides, in `onResultProcess` (after execution, before the response is built), which error status
 * reaches the response. Takes no options.
 *
 * Sets response statuses by the media type the client accepts, following GraphQL over HTTP
 * (https://graphql.github.io/graphql-over-http/draft/#sec-Status-Codes). The error classes keep
 * one status each; this is the one place that decides whether the response carries it.
 */
export function useGraphQLOverHttpStatus(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result)) setResult(result.map((r) => adjust(r as ExecutionResult)));
      else if (result && typeof result === 'object' && 'errors' in result) setResult(adjust(result as ExecutionResult));
    },
  };
}
