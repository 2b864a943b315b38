import { builder } from '../builder.ts';
import type { InvitationOutcome } from '../invitations/types.ts';
import { jobsPage, JOBS_PAGE, resultsPage, RESULTS_PAGE } from '../queue/job-pages.ts';
import type { JobMeta } from '../queue/types.ts';
import { InvitationInput } from './create-invitations.ts';
import { InvitationResult } from './invitation.ts';
import { authorize, inviterOf, OrganizationInvitationInput } from './organization-invitations.ts';

/** Anyone who may submit a job may read and cancel their own: instance inviters and organization callers. */
const JOB_READERS = { $any: { inviter: true, organizationCaller: true } } as const;

const InvitationJobState = builder.enumType('InvitationJobState', {
  description: 'Where a queued job stands.',
  values: {
    QUEUED: { description: 'Accepted; no item has been sent yet.' },
    RUNNING: { description: 'Items are being sent as the budget allows.' },
    DONE: { description: 'Every item has its result.' },
    CANCELLED: { description: 'Cancelled: items not sent by then are CANCELLED; items in flight then kept their outcome.' },
  },
});

interface ResultEdgeShape {
  cursor: string;
  index: number;
  emailAddress: string;
  result: InvitationOutcome | null;
}

const InvitationJobResultEdge = builder.objectRef<ResultEdgeShape>('InvitationJobResultEdge').implement({
  description: "One item of a job and its result.",
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'The `after` for the page that follows this item.' }),
    index: t.exposeInt('index', { description: 'The position of the item in the submitted list, from 0.' }),
    emailAddress: t.exposeString('emailAddress', { description: 'The address of the item.' }),
    result: t.field({ type: InvitationResult, nullable: true, description: 'The outcome; null while the item is pending.', resolve: (e) => e.result }),
  }),
});

type PageInfoShape = { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
const pageInfoField = { description: 'Where this page sits in the whole list.', resolve: (p: { pageInfo: PageInfoShape }) => p.pageInfo };

const InvitationJobResultConnection = builder
  .objectRef<{ edges: ResultEdgeShape[]; pageInfo: PageInfoShape }>(
    'InvitationJobResultConnection',
  )
  .implement({
    description: "A page of a job's results, in input order.",
    fields: (t) => ({
      edges: t.field({ type: [InvitationJobResultEdge], description: 'The items of this page.', resolve: (p) => p.edges }),
      pageInfo: t.field({ type: builder.pageInfoRef(), ...pageInfoField }),
    }),
  });

export const InvitationJob = builder.objectRef<JobMeta>('InvitationJob').implement({
  description: 'A queued list of invitations (submitInvitations), sent as fast as Clerk\'s allowance lets, fairly between callers.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The job id; only the caller who submitted it can see it.' }),
    state: t.field({ type: InvitationJobState, description: 'Where the job stands.', resolve: (j) => j.state }),
    total: t.exposeInt('total', { description: 'Items submitted.' }),
    createdCount: t.exposeInt('createdCount', { description: 'Items created so far.' }),
    failedCount: t.exposeInt('failedCount', { description: 'Items settled as not created (invalid, refused, cancelled, unknown).' }),
    pendingCount: t.exposeInt('pendingCount', { description: 'Items without a result yet.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When the job was submitted.', resolve: (j) => new Date(j.createdAt) }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, description: 'When the last item got its result.', resolve: (j) => (j.finishedAt === null ? null : new Date(j.finishedAt)) }),
    estimatedCompletionAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: "When the last item should be sent, from the items queued ahead of it and Clerk's allowance; null once finished.",
      resolve: async (j, _args, ctx) => {
        const at = await ctx.services.queue.estimatedCompletionAt(j);
        return at === null ? null : new Date(at);
      },
    }),
    results: t.field({
      type: InvitationJobResultConnection,
      description: 'The items and their results, in input order.',
      args: {
        first: t.arg.int({ description: `Page size, 1 to ${RESULTS_PAGE.max}. Default: ${RESULTS_PAGE.default}.` }),
        after: t.arg.string({ description: 'Start after this cursor.' }),
      },
      resolve: (j, args, ctx) => resultsPage(ctx.services.queue, j, args),
    }),
  }),
});

const InvitationJobEdge = builder.objectRef<{ cursor: string; node: JobMeta }>('InvitationJobEdge').implement({
  description: 'One job and its cursor.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'The `after` for the page that follows this job.' }),
    node: t.field({ type: InvitationJob, description: 'The job.', resolve: (e) => e.node }),
  }),
});

const InvitationJobConnection = builder
  .objectRef<{ edges: Array<{ cursor: string; node: JobMeta }>; pageInfo: PageInfoShape }>(
    'InvitationJobConnection',
  )
  .implement({
    description: "A page of the caller's jobs, newest first.",
    fields: (t) => ({
      edges: t.field({ type: [InvitationJobEdge], description: 'The jobs of this page.', resolve: (p) => p.edges }),
      pageInfo: t.field({ type: builder.pageInfoRef(), ...pageInfoField }),
    }),
  });

const IDEMPOTENCY_KEY = {
  description:
    'Makes a retried submit safe: the same caller with the same key gets the job the first submit made instead of a second one. ' +
    'Same as the Idempotency-Key header. 1 to 255 printable characters.',
} as const;

builder.mutationField('submitInvitations', (t) =>
  t.field({
    type: InvitationJob,
    description:
      'Queues invitations and answers at once with the job. Items are checked now (invalid ones settle INVALID_INPUT) and sent ' +
      "in full bulk calls as Clerk's allowance frees up, fairly between callers; they survive a replica's restart when REDIS_URL is set. " +
      'Follow them with invitationJob or the invitationJobProgress subscription.',
    authScopes: { inviter: true },
    directives: { rateLimit: { max: 10000, window: '1d', arrayLengthField: 'invitations' } },
    args: {
      invitations: t.arg({ type: [InvitationInput], required: true, description: 'The people to invite: 1 to MAX_INVITATIONS_PER_JOB (default 10000) items.' }),
      idempotencyKey: t.arg.string(IDEMPOTENCY_KEY),
    },
    resolve: (_root, { invitations, idempotencyKey }, ctx) =>
      ctx.services.queue.submit(ctx.caller, invitations, { family: { kind: 'instance' }, idempotencyKey: idempotencyKey ?? ctx.idempotencyKey }),
  }),
);

builder.mutationField('submitOrganizationInvitations', (t) =>
  t.field({
    type: InvitationJob,
    description: 'Queues organization invitations, as submitInvitations does; the same rule as createOrganizationInvitations decides who may.',
    authScopes: { organizationCaller: true },
    extensions: { authorize },
    directives: { rateLimit: { max: 10000, window: '1d', arrayLengthField: 'invitations' } },
    args: {
      organizationId: t.arg.id({ required: true, description: 'The organization (org_…): for a session, its active organization.' }),
      invitations: t.arg({ type: [OrganizationInvitationInput], required: true, description: 'The teammates: 1 to MAX_INVITATIONS_PER_JOB items.' }),
      idempotencyKey: t.arg.string(IDEMPOTENCY_KEY),
    },
    resolve: (_root, { organizationId, invitations, idempotencyKey }, ctx) =>
      ctx.services.queue.submit(ctx.caller, invitations, {
        family: { kind: 'organization', organizationId: String(organizationId) },
        idempotencyKey: idempotencyKey ?? ctx.idempotencyKey,
        inviterUserId: inviterOf(ctx),
      }),
  }),
);

builder.mutationField('cancelInvitationJob', (t) =>
  t.field({
    type: InvitationJob,
    description: 'Cancels one of your jobs: items not yet sent settle CANCELLED and nothing more is sent. NOT_FOUND for a job that is not yours.',
    authScopes: JOB_READERS,
    directives: { rateLimit: { max: 60, window: '1m' } },
    args: { id: t.arg.id({ required: true, description: 'The job id.' }) },
    resolve: (_root, { id }, ctx) => ctx.services.queue.cancel(ctx.caller, String(id)),
  }),
);

builder.queryField('invitationJob', (t) =>
  t.field({
    type: InvitationJob,
    nullable: true,
    description: 'One of your jobs; null when you have none with this id.',
    authScopes: JOB_READERS,
    args: { id: t.arg.id({ required: true, description: 'The job id.' }) },
    resolve: (_root, { id }, ctx) => ctx.services.queue.get(ctx.caller, String(id)),
  }),
);

builder.queryField('invitationJobs', (t) =>
  t.field({
    type: InvitationJobConnection,
    description: 'Your jobs, newest first.',
    authScopes: JOB_READERS,
    args: {
      first: t.arg.int({ description: `Page size, 1 to ${JOBS_PAGE.max}. Default: ${JOBS_PAGE.default}.` }),
      after: t.arg.string({ description: 'Start after this cursor.' }),
    },
    resolve: (_root, args, ctx) => jobsPage(ctx.services.queue, ctx.caller, args),
  }),
);

builder.subscriptionType({ description: 'Live updates, served over Server-Sent Events (Accept: text/event-stream).' });

builder.subscriptionField('invitationJobProgress', (t) =>
  t.field({
    type: InvitationJob,
    description: 'One of your jobs now, then after every settled Clerk call, until it is finished.',
    authScopes: JOB_READERS,
    args: { id: t.arg.id({ required: true, description: 'The job id.' }) },
    subscribe: (_root, { id }, ctx) => ctx.services.queue.progress(ctx.caller, String(id)),
    resolve: (meta) => meta,
  }),
);
