import { builder } from '../builder.ts';
import type { InvitationRecord, InvitationCreated, InvitationFailed } from '../invitations/types.ts';

export const InvitationTemplateSlug = builder.enumType('InvitationTemplateSlug', {
  description: 'Which Clerk email template the invitation uses.',
  values: {
    INVITATION: { value: 'invitation' as const, description: 'The regular invitation email (Clerk default).' },
    WAITLIST_INVITATION: { value: 'waitlist_invitation' as const, description: 'The email for people admitted from the waitlist.' },
  },
});

export const InvitationStatus = builder.enumType('InvitationStatus', {
  description: 'Where an invitation stands.',
  values: {
    PENDING: { value: 'pending' as const, description: 'Sent and not yet used.' },
    ACCEPTED: { value: 'accepted' as const, description: 'The person signed up with it.' },
    REVOKED: { value: 'revoked' as const, description: 'Revoked before it was used.' },
    EXPIRED: { value: 'expired' as const, description: 'Not used before it expired.' },
  },
});

export const InvitationErrorCode = builder.enumType('InvitationErrorCode', {
  description: 'Why one invitation was not created.',
  values: {
    INVALID_INPUT: { description: 'The item is malformed (the message names the field); it was not sent to Clerk.' },
    ALREADY_INVITED: { description: 'The address already has a pending invitation that this request did not create. Set ignoreExisting to send another.' },
    ALREADY_MEMBER: { description: 'Organization invitations: the address already belongs to a member of the organization.' },
    MEMBERSHIP_QUOTA_EXCEEDED: {
      description:
        "Organization invitations: Clerk refused the whole call because members plus pending invitations would pass the organization's membership limit. Fewer invitations may fit.",
    },
    USER_EXISTS: {
      description: 'The address belongs to an existing user. Set ignoreExisting to invite it anyway (not possible when the gateway may only use bulk calls).',
    },
    NOT_ALLOWED: { description: "The address is blocked by the application's restrictions (allowlist or blocklist)." },
    RATE_LIMITED: { description: "Clerk's hourly allowance or the gateway queue is full. Nothing was sent; retry after retryAfterSeconds." },
    UPSTREAM_ERROR: { description: 'Clerk refused or could not be reached, and nothing was created.' },
    OUTCOME_UNKNOWN: {
      description: 'The invitation may have been created, and the evidence could not tell. Check with the invitations query before retrying.',
    },
    CANCELLED: { description: 'Queued invitations: the job was cancelled before this item was sent; nothing was sent.' },
  },
});

export const Invitation = builder.objectRef<InvitationRecord>('Invitation').implement({
  description: 'An invitation as Clerk stores it.',
  fields: (t) => ({
    id: t.exposeID('id', { description: "Clerk's invitation id (inv_…)." }),
    emailAddress: t.exposeString('emailAddress', { description: 'The invited address.' }),
    status: t.field({ type: InvitationStatus, description: 'Where the invitation stands.', resolve: (i) => i.status }),
    publicMetadata: t.field({
      type: 'JSONObject',
      description: "Copied to the user's public metadata when they sign up; {} when none was given.",
      resolve: (i) => i.publicMetadata,
    }),
    url: t.exposeString('url', { nullable: true, description: 'The link in the email; Clerk returns it only when the invitation is created.' }),
    revoked: t.exposeBoolean('revoked', { description: 'Whether the invitation was revoked.' }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the link stops working (creation plus expiresInDays, 30 days by default).',
      resolve: (i) => (i.expiresAt === null ? null : new Date(i.expiresAt)),
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When Clerk created it.', resolve: (i) => new Date(i.createdAt) }),
    updatedAt: t.field({ type: 'DateTime', description: 'When Clerk last changed it.', resolve: (i) => new Date(i.updatedAt) }),
  }),
});

export const InvitationCreatedRef = builder.objectRef<InvitationCreated>('InvitationCreated').implement({
  description: 'Clerk created the invitation and, unless notify was false, sent the email.',
  fields: (t) => ({
    invitation: t.field({ type: Invitation, description: 'The new invitation.', resolve: (r) => r.invitation }),
  }),
});

export const InvitationFailedRef = builder.objectRef<InvitationFailed>('InvitationFailed').implement({
  description: 'The invitation was not created, or (OUTCOME_UNKNOWN) may not have been.',
  fields: (t) => ({
    emailAddress: t.exposeString('emailAddress', { description: 'The address of the input item.' }),
    code: t.field({ type: InvitationErrorCode, description: 'Why it failed.', resolve: (r) => r.code }),
    message: t.exposeString('message', { description: 'What went wrong, naming the field and the item where that applies.' }),
    retryable: t.exposeBoolean('retryable', { description: 'Whether sending the same item again later can succeed.' }),
    retryAfterSeconds: t.exposeInt('retryAfterSeconds', {
      nullable: true,
      description: 'For RATE_LIMITED and transient errors: whole seconds to wait before retrying.',
    }),
    clerkTraceId: t.exposeString('clerkTraceId', { nullable: true, description: "Clerk's trace id for the call, for Clerk support." }),
  }),
});

export const InvitationResult = builder.unionType('InvitationResult', {
  description: 'The outcome of one input item.',
  types: [InvitationCreatedRef, InvitationFailedRef],
  resolveType: (r) => (r.kind === 'created' ? InvitationCreatedRef : InvitationFailedRef),
});
