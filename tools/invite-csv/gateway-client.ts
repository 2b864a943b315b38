import { print } from 'graphql';
import {
  CreateInvitationsDocument,
  type CreateInvitationsMutation,
  FindInvitationsDocument,
  type FindInvitationsQuery,
  type InvitationInput,
} from '../../client/generated/graphql.js';

export type InvitationResult = CreateInvitationsMutation['createInvitations']['results'][number];
export type FoundInvitation = FindInvitationsQuery['invitations']['edges'][number]['node'];
export type Lookup = { ok: true; invitations: FoundInvitation[] } | { ok: false; reason: string };

/**
 * What one createInvitations request came to. The distinction that matters is whether the gateway may
 * have acted: `refused` and `fatal` mean it provably did nothing, `unknown` that it may have.
 */
export type SendOutcome =
  | { kind: 'answered'; results: InvitationResult[] }
  /** Nothing was done; the same request can succeed after `retryAfterMs`. */
  | { kind: 'refused'; retryAfterMs: number; rateLimited: boolean; reason: string }
  /** Nothing was done, and sending again will not help (wrong key, wrong URL, a request the gateway rejects). */
  | { kind: 'fatal'; reason: string }
  /** The request may have been processed: its rows must not be sent again blindly. */
  | { kind: 'unknown'; reason: string };

export interface GatewayClientOptions {
  url: string;
  apiKey?: string;
  /** After this long without an answer the outcome is unknown. The gateway answers within REQUEST_TIMEOUT_MS (30 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface GatewayClient {
  send(invitations: InvitationInput[], signal?: AbortSignal): Promise<SendOutcome>;
  /** Invitations whose address or id matches, newest first (revoked ones left out). */
  findInvitations(emailAddress: string, signal?: AbortSignal): Promise<Lookup>;
}

/** Connection errors raised before a request could reach the gateway. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
/** Errors thrown before the mutation's resolver runs, so no invitation was touched. */
const NOTHING_DONE_CODES = new Set(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'BAD_REQUEST']);

const CREATE = print(CreateInvitationsDocument);
const FIND = print(FindInvitationsDocument);

export interface GraphQLError {
  message: string;
  extensions?: { code?: string; retryAfterSeconds?: number };
}

export function retryAfterMs(response: Response, error: GraphQLError | undefined, fallbackSeconds: number): number {
  const header = Number(response.headers.get('retry-after'));
  const seconds = error?.extensions?.retryAfterSeconds ?? (Number.isFinite(header) && header > 0 ? header : fallbackSeconds);
  return Math.max(1, seconds) * 1000;
}

export function classifyErrors(response: Response, errors: GraphQLError[]): SendOutcome {
  const first = errors[0];
  const code = first?.extensions?.code ?? '';
  const reason = `${code ? `${code}: ` : ''}${first?.message ?? `HTTP ${response.status}`}`;
  if (code === 'RATE_LIMITED') {
    // The caller limit counts a call's items; a call larger than the whole limit can never pass.
    const oversized = /counts (\d+) and the limit is (\d+)/.exec(first?.message ?? '');
    if (oversized) return { kind: 'fatal', reason: `${reason}. Use --chunk-size ${oversized[2]} or less.` };
    return { kind: 'refused', retryAfterMs: retryAfterMs(response, first, 60), rateLimited: true, reason };
  }
  if (code === 'SERVICE_UNAVAILABLE') return { kind: 'refused', retryAfterMs: retryAfterMs(response, first, 5), rateLimited: false, reason };
  if (NOTHING_DONE_CODES.has(code)) {
    const hint = code === 'UNAUTHENTICATED' || code === 'FORBIDDEN' ? ' Set GATEWAY_API_KEY or pass --key-file with an API key the gateway accepts.' : '';
    return { kind: 'fatal', reason: reason + hint };
  }
  return { kind: 'unknown', reason };
}

export type Posted<T> =
  | { ok: true; response: Response; body: { data?: T | null; errors?: GraphQLError[] } | undefined }
  | { ok: false; notSent: boolean; reason: string };

export type Post = <T>(query: string, variables: Record<string, unknown>, signal?: AbortSignal) => Promise<Posted<T>>;

/** One GraphQL POST with the key as a Bearer token; a failure says whether the request can have reached the gateway. */
export function createPost({ url, apiKey, timeoutMs = 120_000, fetch: fetchImpl = fetch }: GatewayClientOptions): Post {
  return async function post<T>(query: string, variables: Record<string, unknown>, signal?: AbortSignal): Promise<Posted<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetchImpl(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const text = await response.text();
      let body: { data?: T | null; errors?: GraphQLError[] } | undefined;
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        body = undefined;
      }
      return { ok: true, response, body };
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (code && NOT_SENT_CODES.has(code)) return { ok: false, notSent: true, reason: `cannot reach ${url} (${code})` };
      const why = timeout.aborted ? `no answer within ${Math.round(timeoutMs / 1000)} s` : signal?.aborted ? 'the request was aborted' : String((error as Error).message);
      return { ok: false, notSent: false, reason: why };
    }
  };
}

/** Sends the generated typed documents and sorts each answer by what the gateway may have done. */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const post = createPost(options);
  const { url } = options;

  return {
    async send(invitations, signal) {
      const posted = await post<CreateInvitationsMutation>(CREATE, { invitations }, signal);
      if (!posted.ok) {
        if (posted.notSent) return { kind: 'refused', retryAfterMs: 5_000, rateLimited: false, reason: posted.reason };
        return { kind: 'unknown', reason: `${posted.reason}; the gateway may have processed the request` };
      }
      const { response, body } = posted;
      const results = body?.data?.createInvitations?.results;
      if (results) {
        if (results.length !== invitations.length) return { kind: 'unknown', reason: `the gateway answered ${results.length} results for ${invitations.length} rows` };
        return { kind: 'answered', results };
      }
      if (body?.errors?.length) return classifyErrors(response, body.errors);
      if (response.status === 401 || response.status === 403) return { kind: 'fatal', reason: `HTTP ${response.status}: set GATEWAY_API_KEY or pass --key-file with an API key the gateway accepts` };
      if (response.status === 404 || response.status === 405) return { kind: 'fatal', reason: `HTTP ${response.status} from ${url}: is --url the gateway's /graphql endpoint?` };
      if (response.status === 429 || response.status === 503) {
        return { kind: 'refused', retryAfterMs: retryAfterMs(response, undefined, 30), rateLimited: response.status === 429, reason: `HTTP ${response.status}` };
      }
      return { kind: 'unknown', reason: `HTTP ${response.status} without a GraphQL answer` };
    },

    async findInvitations(emailAddress, signal) {
      const posted = await post<FindInvitationsQuery>(FIND, { query: emailAddress }, signal);
      if (!posted.ok) return { ok: false, reason: posted.reason };
      const edges = posted.body?.data?.invitations?.edges;
      if (edges) return { ok: true, invitations: edges.map((edge) => edge.node) };
      const error = posted.body?.errors?.[0];
      return { ok: false, reason: error ? `${error.extensions?.code ?? 'ERROR'}: ${error.message}` : `HTTP ${posted.response.status}` };
    },
  };
}
