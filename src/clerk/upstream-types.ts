import type { InvitationParams, InvitationRecord } from '../invitations/types.ts';
import type { ClerkClock } from './clerk-clock.ts';

export type InvitationStatusFilter = InvitationRecord['status'];

export interface ListParams {
  status?: InvitationStatusFilter;
  query?: string;
  limit: number;
  offset: number;
  orderBy?: '-created_at' | 'created_at';
  /** Why the list is read: a reconciliation lookup takes precedence over other reads. */
  purpose?: 'reconcile';
}

export interface ListPage {
  data: InvitationRecord[];
  totalCount: number;
}

/**
 * What the gateway needs from Clerk. Every method either resolves or rejects with an
 * `UpstreamFailure` that says whether anything may have been created.
 */
export interface Upstream {
  createBulk(items: InvitationParams[]): Promise<InvitationRecord[]>;
  createOne(item: InvitationParams): Promise<InvitationRecord>;
  list(params: ListParams): Promise<ListPage>;
  revoke(id: string): Promise<InvitationRecord>;
  /** Which of these addresses (lower-cased) belong to existing users; spends Clerk's general allowance. */
  existingUsers(emails: string[]): Promise<Set<string>>;
  /** Clerk's clock as its answers showed it; absent for stand-ins that share the gateway's clock. */
  readonly clock?: ClerkClock;
  /** The same calls for one organization's invitations; absent for stand-ins without organizations. */
  forOrganization?(organizationId: string): Upstream;
}
