import type { InvitationBatcher } from './batcher/batcher.ts';
import type { UpstreamBudget } from './budget/types.ts';
import type { Upstream } from './clerk/upstream.ts';
import type { ValidationOptions } from './invitations/validate-item.ts';

/** Long-lived parts shared by every request of one gateway process. */
export interface GatewayServices {
  batcher: InvitationBatcher;
  upstream: Upstream;
  budget: UpstreamBudget;
  limits: { maxInvitationsPerRequest: number; bulkPerHour: number; singlePerHour: number };
  validation: ValidationOptions;
}

/** Who is calling: a Clerk user, an API key, or (demo only) an anonymous address. */
export interface Caller {
  /** Stable identity for limits and logs, e.g. `user:user_2x…`, `apikey:ci`, `ip:127.0.0.1`. */
  id: string;
  kind: 'user' | 'apikey' | 'machine' | 'anonymous';
}

export interface GatewayContext {
  requestId: string;
  caller: Caller;
  services: GatewayServices;
}
