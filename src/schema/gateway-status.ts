import { builder } from '../builder.ts';
import type { CallFamily, GeneralStatus } from '../budget/general.ts';
import type { ChannelStatus } from '../budget/types.ts';
import type { CallerLimitStatus } from '../limiter/index.ts';

const UpstreamChannel = builder.enumType('UpstreamChannel', {
  description: "Clerk's two ways to create invitations, each with its own hourly allowance.",
  values: {
    BULK: { value: 'bulk' as const, description: 'POST /v1/invitations/bulk: up to 10 invitations a call, 25 calls an hour.' },
    SINGLE: { value: 'single' as const, description: 'POST /v1/invitations: one invitation a call, 100 calls an hour.' },
  },
});

export const ChannelBudget = builder.objectRef<ChannelStatus>('ChannelBudget').implement({
  description: "What is left of one channel's hourly allowance (per budget window: UPSTREAM_BUDGET_WINDOW, an hour by default), shared by every replica.",
  fields: (t) => ({
    channel: t.field({ type: UpstreamChannel, description: 'The channel.', resolve: (s) => s.channel }),
    limit: t.exposeInt('limit', { description: 'Calls allowed per sliding window (an hour unless configured otherwise).' }),
    remaining: t.exposeInt('remaining', { description: 'Calls the gateway may still make in the current window.' }),
    windowSeconds: t.int({ description: 'How long each call is counted: the window plus a small margin for calls in flight, rounded up.', resolve: (s) => Math.ceil(s.windowMs / 1000) }),
    resetAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the next spent call leaves the window, so one more call is admitted; null when nothing is spent.',
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

const UpstreamCallFamily = builder.enumType('UpstreamCallFamily', {
  description: 'Clerk calls other than creates, which spend the general allowance; a 429 pauses one family.',
  values: {
    LIST: { value: 'list' as const, description: 'GET /v1/invitations: admin queries, reconciliation lookups, the Clerk reachability probe.' },
    USERS: { value: 'users' as const, description: 'GET /v1/users and GET /v1/users/count: two requests per lookup.' },
    REVOKE: { value: 'revoke' as const, description: 'POST /v1/invitations/{id}/revoke.' },
  },
});

const CallFamilyPause = builder.objectRef<{ family: CallFamily; pausedUntil: number | null }>('CallFamilyPause').implement({
  description: 'Whether Clerk has asked the gateway to back off one family of calls.',
  fields: (t) => ({
    family: t.field({ type: UpstreamCallFamily, description: 'The call family.', resolve: (p) => p.family }),
    pausedUntil: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Set while Clerk has asked the gateway to back off this family (it answered 429); null otherwise.',
      resolve: (p) => (p.pausedUntil === null ? null : new Date(p.pausedUntil)),
    }),
  }),
});

const GeneralBudgetRef = builder.objectRef<GeneralStatus>('GeneralBudget').implement({
  description: "What is left of Clerk's general per-instance request allowance (every call but creates spends it), shared by every replica.",
  fields: (t) => ({
    clerkLimit: t.exposeInt('clerkLimit', { description: "Clerk's limit for the instance per 10 seconds (1000 in production, 100 in development)." }),
    limit: t.exposeInt('limit', { description: "The gateway's share: Clerk's limit minus what is left to the customer's own app." }),
    remaining: t.exposeInt('remaining', { description: 'Requests the gateway may still send in the current window.' }),
    windowSeconds: t.int({ description: 'How long each request is counted.', resolve: (s) => Math.ceil(s.windowMs / 1000) }),
    resetAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the oldest counted request leaves the window; null when nothing is counted.',
      resolve: (s) => (s.resetAt === null ? null : new Date(s.resetAt)),
    }),
    families: t.field({ type: [CallFamilyPause], description: 'Back-off per call family.', resolve: (s) => s.paused }),
  }),
});

const CallerLimitRef = builder.objectRef<CallerLimitStatus>('CallerLimit').implement({
  description:
    'The asking caller\'s own createInvitations limit, counted in invitations over a sliding window: its API key\'s limit, the default for its kind of caller, or the overall default. Reading it spends nothing.',
  fields: (t) => ({
    limit: t.int({ description: 'Invitations allowed per window.', resolve: (s) => s.max }),
    window: t.exposeString('window', { description: 'The window as configured: `1h`, `1d`, `15m`.' }),
    windowSeconds: t.int({ description: 'The window in seconds, rounded up.', resolve: (s) => Math.ceil(s.windowMs / 1000) }),
    remaining: t.exposeInt('remaining', { description: 'Invitations that would still be admitted now.' }),
    resetAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the oldest counted invitation leaves the window, so `remaining` grows; null when nothing is counted.',
      resolve: (s) => (s.resetAt === null ? null : new Date(s.resetAt)),
    }),
  }),
});

interface GatewayStatus {
  channels: ChannelStatus[];
  general: GeneralStatus;
  pendingInvitations: number;
}

export const GatewayStatusRef = builder.objectRef<GatewayStatus>('GatewayStatus').implement({
  description: "The gateway's view of Clerk's allowance and its own queue.",
  fields: (t) => ({
    channels: t.field({ type: [ChannelBudget], description: 'Budget per channel.', resolve: (s) => s.channels }),
    general: t.field({ type: GeneralBudgetRef, description: "Clerk's general request allowance.", resolve: (s) => s.general }),
    pendingInvitations: t.exposeInt('pendingInvitations', { description: 'Items of this replica waiting for a batch or in flight.' }),
    callerLimit: t.field({
      type: CallerLimitRef,
      nullable: true,
      description: "The asking caller's createInvitations limit and what is left of it; null where no limiter is wired in.",
      // Read only when asked for, and on its own: a limiter that cannot answer fails this field, not the status.
      resolve: (_s, _args, context) => (context.invitationLimit ? context.invitationLimit(context) : null),
    }),
  }),
});

builder.queryField('gatewayStatus', (t) =>
  t.field({
    type: GatewayStatusRef,
    description: "Clerk's remaining hourly allowance per channel and this replica's queue, for internal tools.",
    authScopes: { inviter: true },
    resolve: async (_root, _args, context) => ({
      channels: await Promise.all([context.services.budget.status('bulk'), context.services.budget.status('single')]),
      general: await context.services.generalBudget.status(),
      pendingInvitations: context.services.batcher.pending,
    }),
  }),
);
