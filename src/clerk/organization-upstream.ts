import type { ClerkClient, OrganizationInvitation } from '@clerk/backend';
import type { InvitationParams, InvitationRecord } from '../invitations/types.ts';
import { emailKey } from '../invitations/validate-item.ts';
import { UpstreamFailure } from './classify.ts';
import type { ClerkClock } from './clerk-clock.ts';
import type { ListPage, ListParams, Upstream } from './upstream-types.ts';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The most Clerk lists in one page. */
const PAGE = 500;

/** An organization invitation as the SDK hands it back; anything else is an unknown outcome. */
export function toOrganizationRecord(value: unknown): InvitationRecord {
  const inv = value as Partial<OrganizationInvitation> & { raw?: Record<string, unknown> | null };
  if (!isObject(inv) || typeof inv.id !== 'string' || typeof inv.emailAddress !== 'string') {
    throw new UpstreamFailure({ kind: 'unknown', answered: false, message: 'the answer was not an organization invitation' });
  }
  return {
    id: inv.id,
    emailAddress: inv.emailAddress,
    status: (inv.status as InvitationRecord['status'] | undefined) ?? 'pending',
    publicMetadata: (inv.publicMetadata ?? {}) as Record<string, unknown>,
    privateMetadata: (inv.privateMetadata ?? {}) as Record<string, unknown>,
    url: inv.url ?? null,
    revoked: inv.status === 'revoked',
    expiresAt: typeof inv.expiresAt === 'number' ? inv.expiresAt : null,
    createdAt: inv.createdAt ?? 0,
    updatedAt: inv.updatedAt ?? inv.createdAt ?? 0,
    organizationId: inv.organizationId,
    role: inv.role,
    roleName: inv.roleName ?? null,
    // The SDK keeps Clerk's `inviter_id` only in the raw answer.
    inviterUserId: typeof inv.raw?.['inviter_id'] === 'string' ? (inv.raw['inviter_id'] as string) : null,
  };
}

/** Clerk's bulk answer is a list; the SDK types it as a page. Both are read. */
const listOf = (value: unknown): unknown[] | undefined =>
  Array.isArray(value) ? value : isObject(value) && Array.isArray(value['data']) ? (value['data'] as unknown[]) : undefined;

/** The fields Clerk's organization endpoints take, in the SDK's camelCase (snake-cased on the wire). */
function toOrganizationParams(item: InvitationParams) {
  const { emailAddress, role, expiresInDays, inviterUserId, publicMetadata, privateMetadata, redirectUrl, notify } = item;
  return { emailAddress, role: role ?? 'org:member', expiresInDays, inviterUserId, publicMetadata, privateMetadata, redirectUrl, notify };
}

export interface OrganizationUpstreamDeps {
  clerk: ClerkClient;
  /** Runs one SDK call with the client's deadline, tracing and classification. */
  call: <T>(run: () => Promise<T>) => Promise<T>;
  /** The same for a create, stamping each record with when the call left by Clerk's clock. */
  create: <T>(run: () => Promise<T>, toRecords: (value: T) => InvitationRecord[]) => Promise<InvitationRecord[]>;
  clock: ClerkClock;
}

/**
 * One organization's invitations, through the same interface as the instance's, so the batcher,
 * dispatcher, attribution and reconciliation serve both unchanged.
 */
export function organizationUpstream({ clerk, call, create, clock }: OrganizationUpstreamDeps, organizationId: string): Upstream {
  const orgs = clerk.organizations;
  return {
    clock,
    async createBulk(items) {
      const params = items.map(toOrganizationParams) as Parameters<typeof orgs.createOrganizationInvitationBulk>[1];
      return create(
        () => orgs.createOrganizationInvitationBulk(organizationId, params),
        (answer) => {
          const created = listOf(answer);
          if (!created || created.length !== items.length) {
            throw new UpstreamFailure({ kind: 'unknown', answered: false, message: 'the answer to the bulk call was not a list of invitations' });
          }
          return created.map(toOrganizationRecord);
        },
      );
    },
    async createOne(item) {
      const params = { organizationId, ...toOrganizationParams(item) } as Parameters<typeof orgs.createOrganizationInvitation>[0];
      const [record] = await create(() => orgs.createOrganizationInvitation(params), (value) => [toOrganizationRecord(value)]);
      return record!;
    },
    /** Clerk's organization list takes no address filter or order: one page is read and filtered here. */
    async list({ status, query, limit, offset }: ListParams): Promise<ListPage> {
      const page = await call(() => orgs.getOrganizationInvitationList({ organizationId, limit: PAGE, offset: 0, ...(status ? { status: [status] } : {}) }));
      const rows = listOf(page);
      if (!rows) throw new UpstreamFailure({ kind: 'unknown', answered: false, message: 'the answer to the list call was not a page of invitations' });
      const wanted = query ? emailKey(query) : undefined;
      const all = rows.map(toOrganizationRecord).filter((inv) => !wanted || emailKey(inv.emailAddress) === wanted || inv.id === query);
      all.sort((a, b) => b.createdAt - a.createdAt);
      const total = isObject(page) && typeof page['totalCount'] === 'number' ? page['totalCount'] : rows.length;
      // Past one page the filter cannot see everything: say so through the total, as a short page would.
      return { data: all.slice(offset, offset + limit), totalCount: wanted ? all.length : total };
    },
    async revoke(id) {
      return toOrganizationRecord(await call(() => orgs.revokeOrganizationInvitation({ organizationId, invitationId: id })));
    },
    // Any user may be invited into an organization; membership is Clerk's to refuse, by address.
    existingUsers: async () => new Set<string>(),
  };
}
