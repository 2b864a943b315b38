import { builder } from '../builder.ts';
import { createInvitations, type CreateInvitationsResult } from '../invitations/create-invitations.ts';
import { InvitationResult, InvitationTemplateSlug } from './invitation.ts';

export const InvitationInput = builder.inputType('InvitationInput', {
  description: 'One person to invite; the fields mirror the params of Clerk\'s createInvitationBulk.',
  fields: (t) => ({
    emailAddress: t.string({ required: true, description: 'The address to invite.' }),
    expiresInDays: t.int({ description: 'Days until the link expires, 1 to 365. Clerk default: 30.' }),
    ignoreExisting: t.boolean({
      description:
        'Create the invitation even if the address already has a pending invitation or belongs to an existing user ' +
        "(a user's address goes out as a single create, the only Clerk call that allows it). Default: false.",
    }),
    notify: t.boolean({ description: 'Send the invitation email. Default: true.' }),
    publicMetadata: t.field({
      type: 'JSONObject',
      description: "Copied to the user's public metadata on sign-up; at most 8 KB serialized and 32 levels deep.",
    }),
    redirectUrl: t.string({
      description: 'Where the link lands: an absolute http(s) URL on an allowed origin, or a path. Default: Clerk\'s sign-up page.',
    }),
    templateSlug: t.field({ type: InvitationTemplateSlug, description: 'The email template. Default: INVITATION.' }),
  }),
});

const CreateInvitationsPayload = builder.objectRef<CreateInvitationsResult>('CreateInvitationsPayload').implement({
  description: 'The outcome of every item of one createInvitations call.',
  fields: (t) => ({
    results: t.field({
      type: [InvitationResult],
      description: 'One result per input item, in input order.',
      resolve: (p) => p.results,
    }),
    createdCount: t.int({ description: 'How many items were created.', resolve: (p) => p.results.filter((r) => r.kind === 'created').length }),
    failedCount: t.int({ description: 'How many items were not created (OUTCOME_UNKNOWN included).', resolve: (p) => p.results.filter((r) => r.kind === 'failed').length }),
  }),
});

builder.mutationField('createInvitations', (t) =>
  t.field({
    type: CreateInvitationsPayload,
    description:
      'Invites people to the Clerk application. Items from concurrent calls are sent together in Clerk bulk calls; ' +
      'each item gets its own result. A bad item fails alone and is never sent.',
    authScopes: { inviter: true },
    directives: { rateLimit: { max: 100, window: '1h', arrayLengthField: 'invitations' } },
    args: {
      invitations: t.arg({
        type: [InvitationInput],
        required: true,
        description: 'The people to invite: 1 to MAX_INVITATIONS_PER_REQUEST (default 100) items.',
      }),
      idempotencyKey: t.arg.string({
        description:
          'Makes a retry safe: a second call by the same caller with the same key within 24 hours returns the first ' +
          'answer instead of inviting again. Same as the Idempotency-Key header. 1 to 255 printable characters.',
      }),
    },
    resolve: (_root, { invitations, idempotencyKey }, ctx) => createInvitations(ctx, invitations, idempotencyKey),
  }),
);
