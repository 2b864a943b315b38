import type { InvitationBatcher } from './batcher/batcher.ts';
import type { GeneralBudget } from './budget/general.ts';
import type { Caller } from './auth/caller.ts';
import type { OrganizationInviterPolicy } from './auth/rights.ts';
import type { InvitationFamilies } from './batcher/families.ts';
import type { UpstreamBudget } from './budget/types.ts';
import type { Upstream } from './clerk/upstream.ts';
import type { IdempotencyStore } from './invitations/idempotency.ts';
import type { InvitationOutcome, InvitationParams } from './invitations/types.ts';
import type { ValidationOptions } from './invitations/validate-item.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { CallerLimitStatus } from './limiter/index.ts';
import type { ClerkReachability } from './readiness.ts';
import type { InvitationQueue } from './queue/invitation-queue.ts';

/** Long-lived parts shared by every request of one gateway process. */
export interface GatewayServices {
  /** The instance invitations' batcher; organization invitations have a lane each in `families`. */
  batcher: InvitationBatcher;
  families: InvitationFamilies;
  /** An organization's budget for its invitation calls (shared by all when the scope is the instance). */
  orgBudget(organizationId: string): UpstreamBudget;
  orgBudgetScope: 'instance' | 'organization';
  orgPolicy: OrganizationInviterPolicy;
  upstream: Upstream;
  budget: UpstreamBudget;
  /** Clerk's general per-instance allowance, spent by every call that is not a create. */
  generalBudget: GeneralBudget;
  limits: { maxInvitationsPerRequest: number; requestTimeoutMs: number };
  validation: ValidationOptions;
  idempotency: IdempotencyStore;
  metrics: GatewayMetrics;
  /** Whether Clerk answers, probed at most once per cache period. */
  clerkReachability(): Promise<ClerkReachability>;
  /** Settles items of an attempt that was cut off at `since` (epoch ms), by lookups first. */
  recover(items: InvitationParams[], since: number): Promise<InvitationOutcome[]>;
  /** Invitations that outlast the hour: submitted jobs, drained through the same lanes. */
  queue: InvitationQueue;
}

export interface GatewayContext {
  requestId: string;
  caller: Caller;
  services: GatewayServices;
  /** The `Idempotency-Key` header, when the caller sent one. */
  idempotencyKey?: string;
  /** Reads the caller's createInvitations limit without spending it. */
  invitationLimit?: (context: GatewayContext) => Promise<CallerLimitStatus>;
}
