import { builder } from '../builder.ts';
import type { ClerkReachability } from '../readiness.ts';
import { GatewayStatusRef } from './gateway-status.ts';

const ClerkReachabilityRef = builder.objectRef<ClerkReachability>('ClerkReachability').implement({
  description:
    'Whether Clerk answered the gateway\'s cheapest call (one invitation list item). Probed at most every 15 seconds per replica; each probe spends one unit of the general allowance. /readyz does not follow it: Clerk is shared by every replica.',
  fields: (t) => ({
    reachable: t.boolean({
      nullable: true,
      description: 'True when Clerk answered (a 429 counts: Clerk is there, only busy); null before the first verdict.',
      resolve: (s) => s.reachable,
    }),
    lastCheckedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the last verdict was reached; null before the first.',
      resolve: (s) => (s.lastCheckedAt === null ? null : new Date(s.lastCheckedAt)),
    }),
    lastError: t.string({
      nullable: true,
      description: 'Why the last probe failed, with secrets and addresses removed; null when Clerk answered.',
      resolve: (s) => s.lastError,
    }),
  }),
});

builder.objectField(GatewayStatusRef, 'clerk', (t) =>
  t.field({
    type: ClerkReachabilityRef,
    description: "Whether Clerk answers, as this replica last saw it.",
    resolve: (_status, _args, { services }) => services.clerkReachability(),
  }),
);
