import { print } from 'graphql';
import { createClient, NetworkError } from 'graphql-sse';
import { type FragmentType, useFragment as unmask } from '../../client/generated/fragment-masking.js';
import {
  InvitationJobDocument,
  InvitationJobFieldsFragmentDoc,
  type InvitationJobFieldsFragment,
  type InvitationJobProgressSubscription,
  InvitationJobProgressDocument,
  type InvitationJobQuery,
  type InvitationInput,
  SubmitInvitationsDocument,
  type SubmitInvitationsMutation,
} from '../../client/generated/graphql.js';
import { classifyErrors, createPost, type GatewayClientOptions, type GraphQLError, type Posted } from './gateway-client.ts';

export type JobSnapshot = InvitationJobFieldsFragment;
export type ResultsPage = NonNullable<InvitationJobQuery['invitationJob']>['results'];
export type JobResultItem = ResultsPage['edges'][number];

/** What one gateway call for a job came to, sorted like the direct mode's answers. */
export type JobCall<T> =
  | { kind: 'ok'; value: T }
  /** Nothing was done; the same call can pass after `retryAfterMs`. */
  | { kind: 'refused'; retryAfterMs: number; rateLimited: boolean; reason: string }
  /** Nothing was done, and the call as it is will not pass: `error` is the gateway's first error. */
  | { kind: 'fatal'; reason: string; error?: GraphQLError }
  /** The call may have been carried out (a submission whose answer was lost). */
  | { kind: 'unknown'; reason: string };

export interface QueueClient {
  submit(invitations: InvitationInput[], idempotencyKey: string, signal?: AbortSignal): Promise<JobCall<JobSnapshot>>;
  /** null: the gateway knows no such job for this key. */
  job(id: string, signal?: AbortSignal): Promise<JobCall<JobSnapshot | null>>;
  results(id: string, after: string | null, signal?: AbortSignal): Promise<JobCall<ResultsPage>>;
  /**
   * The job's snapshots as the gateway pushes them over server-sent events. Ends when the stream
   * completes and throws when it breaks; the caller falls back to polling either way.
   */
  progress(id: string, signal: AbortSignal): AsyncIterable<JobSnapshot>;
}

const SUBMIT = print(SubmitInvitationsDocument);
const JOB = print(InvitationJobDocument);
const PROGRESS = print(InvitationJobProgressDocument);
/** Results per page: the field's maximum, so a 10,000-row job takes 20 requests. */
export const RESULTS_PAGE_SIZE = 500;
/** A poll reads the job's counts; one result rides along because the query pages them. */
const POLL_PAGE_SIZE = 1;

const snapshotOf = (job: FragmentType<typeof InvitationJobFieldsFragmentDoc>): JobSnapshot => unmask(InvitationJobFieldsFragmentDoc, job);

function sortAnswer<T, V>(posted: Posted<T>, pick: (data: T) => V | undefined, { readOnly }: { readOnly: boolean }): JobCall<V> {
  if (!posted.ok) {
    if (posted.notSent || readOnly) return { kind: 'refused', retryAfterMs: 5_000, rateLimited: false, reason: posted.reason };
    return { kind: 'unknown', reason: `${posted.reason}; the gateway may have queued the job` };
  }
  const { response, body } = posted;
  const value = body?.data ? pick(body.data) : undefined;
  if (value !== undefined && !body?.errors?.length) return { kind: 'ok', value };
  if (body?.errors?.length) {
    const sorted = classifyErrors(response, body.errors);
    if (sorted.kind === 'fatal') return { kind: 'fatal', reason: sorted.reason, error: body.errors[0] };
    if (sorted.kind === 'refused') return sorted;
    const reason = sorted.kind === 'unknown' ? sorted.reason : 'unexpected answer';
    // A read that failed did nothing: it can simply be asked again.
    return readOnly ? { kind: 'refused', retryAfterMs: 5_000, rateLimited: false, reason } : { kind: 'unknown', reason };
  }
  if (response.status === 401 || response.status === 403) return { kind: 'fatal', reason: `HTTP ${response.status}: set GATEWAY_API_KEY or pass --key-file with an API key the gateway accepts` };
  if (response.status === 404 || response.status === 405) return { kind: 'fatal', reason: `HTTP ${response.status}: is --url the gateway's /graphql endpoint?` };
  if (response.status === 429 || response.status === 503 || readOnly) return { kind: 'refused', retryAfterMs: 5_000, rateLimited: response.status === 429, reason: `HTTP ${response.status}` };
  return { kind: 'unknown', reason: `HTTP ${response.status} without a GraphQL answer` };
}

/** The queue's operations, as the generated typed documents, over the same key and fetch as direct runs. */
export function createQueueClient(options: GatewayClientOptions): QueueClient {
  const post = createPost(options);
  const fetchImpl = options.fetch ?? fetch;
  return {
    async submit(invitations, idempotencyKey, signal) {
      const posted = await post<SubmitInvitationsMutation>(SUBMIT, { invitations, idempotencyKey }, signal);
      return sortAnswer(posted, (data) => (data.submitInvitations ? snapshotOf(data.submitInvitations) : undefined), { readOnly: false });
    },
    async job(id, signal) {
      const posted = await post<InvitationJobQuery>(JOB, { id, first: POLL_PAGE_SIZE }, signal);
      return sortAnswer(posted, (data) => (data.invitationJob === undefined ? undefined : data.invitationJob && snapshotOf(data.invitationJob)), { readOnly: true });
    },
    async results(id, after, signal) {
      const posted = await post<InvitationJobQuery>(JOB, { id, first: RESULTS_PAGE_SIZE, after }, signal);
      return sortAnswer(posted, (data) => data.invitationJob?.results, { readOnly: true });
    },
    async *progress(id, signal) {
      // Distinct connections: one POST answered with text/event-stream, the form yoga serves by
      // default. No retries here: a broken stream hands over to polling, which tells why.
      const client = createClient({
        url: options.url,
        headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
        fetchFn: (input: RequestInfo | URL, init?: RequestInit) => fetchImpl(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal }),
        retryAttempts: 0,
      });
      const events = client.iterate<InvitationJobProgressSubscription>({ query: PROGRESS, variables: { id } });
      const stop = () => void events.return?.();
      signal.addEventListener('abort', stop, { once: true });
      try {
        for await (const event of events) {
          if (event.errors?.length) throw new Error(event.errors.map((e) => e.message).join('; '));
          const snapshot = event.data?.invitationJobProgress;
          if (snapshot) yield snapshotOf(snapshot);
        }
      } catch (error) {
        if (signal.aborted) return;
        throw error instanceof NetworkError ? new Error(`progress stream refused: ${error.response ? `HTTP ${error.response.status}` : error.message}`) : error;
      } finally {
        signal.removeEventListener('abort', stop);
        client.dispose();
      }
    },
  };
}
