import { listInvitations, MAX_PAGE_SIZE, revokeInvitation, DEFAULT_PAGE_SIZE } from '../admin/invitations.ts';
import { builder } from '../builder.ts';
import { Invitation, InvitationStatus } from './invitation.ts';

const InvitationConnection = builder.connectionObject(
  {
    type: Invitation,
    name: 'InvitationConnection',
    description: 'A page of invitations.',
    fields: (t) => ({
      totalCount: t.exposeInt('totalCount', { description: 'How many invitations match the filters, over all pages.' }),
    }),
  },
  { name: 'InvitationEdge', description: 'One invitation and its cursor.' },
);

builder.queryField('invitations', (t) =>
  t.field({
    type: InvitationConnection,
    description:
      "Invitations as Clerk lists them, newest first. Without `status`, revoked ones are left out (Clerk's default). " +
      'Page forward with `first` and the previous page\'s `pageInfo.endCursor` as `after`.',
    authScopes: { inviter: true },
    directives: { rateLimit: { max: 120, window: '1m' } },
    args: {
      status: t.arg({ type: InvitationStatus, description: 'Only invitations in this state.' }),
      query: t.arg.string({ description: 'Matches the email address or the invitation id.' }),
      first: t.arg.int({ description: `Page size, 1 to ${MAX_PAGE_SIZE}. Default: ${DEFAULT_PAGE_SIZE}.` }),
      after: t.arg.string({ description: 'Start after this cursor (an `endCursor` or an edge `cursor`).' }),
    },
    resolve: (_root, args, ctx) => listInvitations(ctx, args),
  }),
);

builder.mutationField('revokeInvitation', (t) =>
  t.field({
    type: Invitation,
    description:
      'Revokes a pending invitation so its link stops working. Fails with NOT_FOUND for an unknown id and ' +
      'INVITATION_NOT_REVOCABLE when it was already accepted or revoked.',
    authScopes: { inviter: true },
    directives: { rateLimit: { max: 60, window: '1m' } },
    args: { id: t.arg.id({ required: true, description: "Clerk's invitation id (inv_…)." }) },
    resolve: (_root, { id }, ctx) => revokeInvitation(ctx, String(id)),
  }),
);
