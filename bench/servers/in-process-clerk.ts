import type { ListPage, Upstream } from '../../src/clerk/upstream-types.ts';
import type { InvitationParams, InvitationRecord } from '../../src/invitations/types.ts';

/** How many invitations a page of the `invitations` query carries, on the gateway and the plain server alike. */
export const PAGE_SIZE = 10;

let next = 0;

/** An invitation as Clerk would answer it, made at once. */
export function benchInvitation(emailAddress: string, at = Date.now()): InvitationRecord {
  return {
    id: `inv_bench${(next++).toString(36)}`,
    emailAddress,
    status: 'pending',
    publicMetadata: {},
    url: null,
    revoked: false,
    expiresAt: at + 30 * 86_400_000,
    createdAt: at,
    updatedAt: at,
  };
}

/** One fixed page, so every `invitations` answer has the same size on both sides of the comparison. */
export const FIXED_PAGE: ListPage = {
  data: Array.from({ length: PAGE_SIZE }, (_, i) => benchInvitation(`listed-${i}@example.com`, Date.UTC(2026, 0, 1) + i)),
  totalCount: 1_000,
};

/**
 * Clerk answered in process: every call succeeds at once, with no HTTP and no Clerk client, so what the
 * gateway spends on top is its own pipeline (authentication, limits, batching, budget, attribution).
 */
export function inProcessClerk(): Upstream {
  return {
    createBulk: async (items: InvitationParams[]) => items.map((item) => benchInvitation(item.emailAddress)),
    createOne: async (item: InvitationParams) => benchInvitation(item.emailAddress),
    list: async () => ({ data: FIXED_PAGE.data.map((r) => ({ ...r })), totalCount: FIXED_PAGE.totalCount }),
    revoke: async (id: string) => ({ ...benchInvitation('revoked@example.com'), id, status: 'revoked', revoked: true }),
    existingUsers: async () => new Set<string>(),
  };
}
