import { builder } from '../builder.ts';
import type { ChannelStatus } from '../budget/types.ts';

const UpstreamChannel = builder.enumType('UpstreamChannel', {
  description: "Clerk's two ways to create invitations, each with its own hourly allowance.",
  values: {
    BULK: { value: 'bulk' as const, description: 'POST /v1/invitations/bulk: up to 10 invitations a call, 25 calls an hour.' },
    SINGLE: { value: 'single' as const, description: 'POST /v1/invitations: one invitation a call, 100 calls an hour.' },
  },
});

const ChannelBudget = builder.objectRef<ChannelStatus>('ChannelBudget').implement({
  description: "What is left of one channel's hourly allowance, shared by every replica.",
  fields: (t) => ({
    channel: t.field({ type: UpstreamChannel, description: 'The channel.', resolve: (s) => s.channel }),
    limit: t.exposeInt('limit', { description: 'Calls allowed per sliding hour.' }),
    remaining: t.exposeInt('remaining', { description: 'Calls the gateway may still make in the current hour.' }),
    resetAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the next spent call leaves the hour, so one more call is admitted; null when nothing is spent.',
      resolve: (s) => (s.resetAt === null ? null : new Date(s.resetAt)),
    }),
    pausedUntil: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Set while Clerk has asked the gateway to back off (it answered 429).',
      resolve: (s) => (s.pausedUntil === null ? null : new Date(s.pausedUntil)),
    }),
  }),
});

interface GatewayStatus {
  channels: ChannelStatus[];
  pendingInvitations: number;
}

const GatewayStatusRef = builder.objectRef<GatewayStatus>('GatewayStatus').implement({
  description: "The gateway's view of Clerk's allowance and its own queue.",
  fields: (t) => ({
    channels: t.field({ type: [ChannelBudget], description: 'Budget per channel.', resolve: (s) => s.channels }),
    pendingInvitations: t.exposeInt('pendingInvitations', { description: 'Items of this replica waiting for a batch or in flight.' }),
  }),
});

builder.queryField('gatewayStatus', (t) =>
  t.field({
    type: GatewayStatusRef,
    description: "Clerk's remaining hourly allowance per channel and this replica's queue, for internal tools.",
    authScopes: { inviter: true },
    resolve: async (_root, _args, { services }) => ({
      channels: await Promise.all([services.budget.status('bulk'), services.budget.status('single')]),
      pendingInvitations: services.batcher.pending,
    }),
  }),
);
