/** What Clerk does when a create names no `expires_in_days`. */
export const DEFAULT_EXPIRES_IN_DAYS = 30;

/** Clerk matches addresses case-insensitively and stores them lower-cased (its `Sanitize` step). */
export const normalizeEmail = (email: string): string => email.toLowerCase();

/** Where an invitation stands (spec enum of `Invitation.status` and `OrganizationInvitation.status`). */
export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';
