import { DEFAULT_PAGE_SIZE, listInvitations, MAX_PAGE_SIZE, revokeInvitation } from '../admin/invitations.ts';
import { assertMayActInOrganization } from '../auth/rights.ts';
import { builder } from '../builder.ts';
import type { GatewayContext } from '../context.ts';
import { BadUserInputError } from '../errors.ts';
import { createInvitations, type CreateInvitationsResult } from '../invitations/create-invitations.ts';
import type { InvitationCreated, InvitationRecord } from '../invitations/types.ts';
import { ChannelBudget, GatewayStatusRef } from './gateway-status.ts';
import { InvitationFailedRef, InvitationStatus } from './invitation.ts';

const ORGANIZATION_ID = /^org_[A-Za-z0-9]{1,64}$/;
const ORGANIZATION_INVITATION_ID = /^orginv_[A-Za-z0-9]{1,64}$/;

/** Refuses, before the caller limit counts, anyone who may not act on this organization's invitations. */
export function authorize(args: Record<string, unknown>, context: GatewayContext): void {
  const organizationId = String(args['organizationId'] ?? '');
  if (!ORGANIZATION_ID.test(organizationId)) {
    throw new BadUserInputError(`organizationId: ${JSON.stringify(organizationId.slice(0, 80))} is not a Clerk organization id (org_…).`, { field: 'organizationId' });
  }
  assertMayActInOrganization(context.caller, organizationId, context.services.orgPolicy);
}

function organizationUpstream(context: GatewayContext, organizationId: string) {
  const upstream = context.services.upstream.forOrganization?.(organizationId);
  if (!upstream) throw new Error('this Clerk client has no organizations');
  return upstream;
}

/** A session's own user id: the inviter Clerk records. API keys invite without one. */
export const inviterOf = (context: GatewayContext) => (context.caller.kind === 'user' ? context.caller.id.replace(/^user:/, '') : undefined);

export const OrganizationInvitationInput = builder.inputType('OrganizationInvitationInput', {
  description: "One teammate to invite into an organization; the fields mirror Clerk's createOrganizationInvitationBulk.",
  fields: (t) => ({
    emailAddress: t.string({ required: true, description: 'The address to invite.' }),
    role: t.string({ required: true, description: 'The role key the invitee gets, e.g. "org:member". Clerk decides whether it exists.' }),
    expiresInDays: t.int({ description: 'Days until the link expires, 1 to 365. Clerk default: 30.' }),
    notify: t.boolean({ description: 'Send the invitation email. Default: true.' }),
    publicMetadata: t.field({ type: 'JSONObject', description: 'Readable from the frontend; at most 8 KB serialized, 32 levels deep.' }),
    privateMetadata: t.field({ type: 'JSONObject', description: 'Readable only from the Backend API; at most 8 KB serialized, 32 levels deep.' }),
    redirectUrl: t.string({ description: 'Where the link lands: an absolute http(s) URL on an allowed origin, or a path.' }),
  }),
});

export const OrganizationInvitation = builder.objectRef<InvitationRecord>('OrganizationInvitation').implement({
  description: 'An invitation into an organization, as Clerk stores it.',
  fields: (t) => ({
    id: t.exposeID('id', { description: "Clerk's organization invitation id (orginv_…)." }),
    organizationId: t.id({ description: 'The organization.', resolve: (i) => i.organizationId ?? '' }),
    emailAddress: t.exposeString('emailAddress', { description: 'The invited address.' }),
    role: t.string({ description: 'The role key the invitee gets.', resolve: (i) => i.role ?? '' }),
    roleName: t.string({ nullable: true, description: "The role's display name.", resolve: (i) => i.roleName ?? null }),
    status: t.field({ type: InvitationStatus, description: 'Where the invitation stands.', resolve: (i) => i.status }),
    publicMetadata: t.field({ type: 'JSONObject', description: '{} when none was given.', resolve: (i) => i.publicMetadata }),
    inviterUserId: t.string({ nullable: true, description: 'The admin who invited (a session\'s user); null when an API key did.', resolve: (i) => i.inviterUserId ?? null }),
    url: t.exposeString('url', { nullable: true, description: 'The link in the email, when Clerk returns it.' }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the link stops working.',
      resolve: (i) => (i.expiresAt === null ? null : new Date(i.expiresAt)),
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When Clerk created it.', resolve: (i) => new Date(i.createdAt) }),
    updatedAt: t.field({ type: 'DateTime', description: 'When Clerk last changed it.', resolve: (i) => new Date(i.updatedAt) }),
  }),
});

const OrganizationInvitationCreated = builder.objectRef<InvitationCreated>('OrganizationInvitationCreated').implement({
  description: 'Clerk created the organization invitation and, unless notify was false, sent the email.',
  fields: (t) => ({
    invitation: t.field({ type: OrganizationInvitation, description: 'The new invitation.', resolve: (r) => r.invitation }),
  }),
});

const OrganizationInvitationResult = builder.unionType('OrganizationInvitationResult', {
  description: 'The outcome of one input item.',
  types: [OrganizationInvitationCreated, InvitationFailedRef],
  resolveType: (r) => (r.kind === 'created' ? OrganizationInvitationCreated : InvitationFailedRef),
});

const CreateOrganizationInvitationsPayload = builder.objectRef<CreateInvitationsResult>('CreateOrganizationInvitationsPayload').implement({
  description: 'The outcome of every item of one createOrganizationInvitations call.',
  fields: (t) => ({
    results: t.field({ type: [OrganizationInvitationResult], description: 'One result per input item, in input order.', resolve: (p) => p.results }),
    createdCount: t.int({ description: 'How many items were created.', resolve: (p) => p.results.filter((r) => r.kind === 'created').length }),
    failedCount: t.int({ description: 'How many items were not created (OUTCOME_UNKNOWN included).', resolve: (p) => p.results.filter((r) => r.kind === 'failed').length }),
  }),
});

const OrganizationInvitationConnection = builder.connectionObject(
  {
    type: OrganizationInvitation,
    name: 'OrganizationInvitationConnection',
    description: "A page of an organization's invitations.",
    fields: (t) => ({
      totalCount: t.exposeInt('totalCount', { description: 'How many invitations match, over all pages.' }),
    }),
  },
  { name: 'OrganizationInvitationEdge', description: 'One invitation and its cursor.' },
);

const ORGANIZATION_ARG = { required: true, description: 'The organization (org_…): for a session, its active organization.' } as const;

builder.mutationField('createOrganizationInvitations', (t) =>
  t.field({
    type: CreateOrganizationInvitationsPayload,
    description:
      'Invites teammates into an organization, as its admin ("invite teammates"). Items of concurrent calls for the same ' +
      'organization share Clerk bulk calls; each item gets its own result. A session may invite only into its active ' +
      'organization, with a role in ORG_INVITER_ROLES or a permission in ORG_INVITER_PERMISSIONS; it is recorded as the inviter.',
    authScopes: { organizationCaller: true },
    extensions: { authorize },
    directives: { rateLimit: { max: 100, window: '1h', arrayLengthField: 'invitations' } },
    args: {
      organizationId: t.arg.id(ORGANIZATION_ARG),
      invitations: t.arg({ type: [OrganizationInvitationInput], required: true, description: 'The teammates: 1 to MAX_INVITATIONS_PER_REQUEST items.' }),
      idempotencyKey: t.arg.string({ description: 'Makes a retry safe, as for createInvitations. Same as the Idempotency-Key header.' }),
    },
    resolve: (_root, { organizationId, invitations, idempotencyKey }, ctx) =>
      createInvitations(ctx, invitations, idempotencyKey, {
        family: { kind: 'organization', organizationId: String(organizationId) },
        inviterUserId: inviterOf(ctx),
      }),
  }),
);

builder.mutationField('revokeOrganizationInvitation', (t) =>
  t.field({
    type: OrganizationInvitation,
    description: "Revokes a pending organization invitation. The same rule as createOrganizationInvitations decides who may.",
    authScopes: { organizationCaller: true },
    extensions: { authorize },
    directives: { rateLimit: { max: 60, window: '1m' } },
    args: {
      organizationId: t.arg.id(ORGANIZATION_ARG),
      id: t.arg.id({ required: true, description: "Clerk's organization invitation id (orginv_…)." }),
    },
    resolve: (_root, { organizationId, id }, ctx) =>
      revokeInvitation(ctx, String(id), {
        upstream: organizationUpstream(ctx, String(organizationId)),
        idPattern: ORGANIZATION_INVITATION_ID,
        idForm: 'orginv_…',
      }),
  }),
);

builder.queryField('organizationInvitations', (t) =>
  t.field({
    type: OrganizationInvitationConnection,
    description: "An organization's invitations, newest first. The same rule as createOrganizationInvitations decides who may read them.",
    authScopes: { organizationCaller: true },
    extensions: { authorize },
    directives: { rateLimit: { max: 120, window: '1m' } },
    args: {
      organizationId: t.arg.id(ORGANIZATION_ARG),
      status: t.arg({ type: InvitationStatus, description: 'Only invitations in this state.' }),
      first: t.arg.int({ description: `Page size, 1 to ${MAX_PAGE_SIZE}. Default: ${DEFAULT_PAGE_SIZE}.` }),
      after: t.arg.string({ description: 'Start after this cursor.' }),
    },
    resolve: (_root, { organizationId, ...args }, ctx) => listInvitations(ctx, args, organizationUpstream(ctx, String(organizationId))),
  }),
);

builder.objectField(GatewayStatusRef, 'organizationChannels', (t) =>
  t.field({
    type: [ChannelBudget],
    description:
      "What is left of Clerk's hourly allowance for organization invitations (50 bulk, 250 single by default). With " +
      'ORG_UPSTREAM_BUDGET_SCOPE=instance (the default) every organization shares it and `organizationId` is not needed; ' +
      'with `organization` it is the given organization\'s.',
    args: { organizationId: t.arg.id({ description: 'The organization, when the allowance is per organization.' }) },
    resolve: (_status, { organizationId }, { services }) => {
      if (organizationId == null && services.orgBudgetScope === 'organization') {
        throw new BadUserInputError('organizationId: required while ORG_UPSTREAM_BUDGET_SCOPE=organization (each organization has its own allowance).', { field: 'organizationId' });
      }
      // With the instance scope every organization shares one budget, whichever id is asked for.
      const budget = services.orgBudget(organizationId == null ? 'org_any' : String(organizationId));
      return Promise.all([budget.status('bulk'), budget.status('single')]);
    },
  }),
);
