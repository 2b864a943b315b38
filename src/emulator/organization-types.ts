/** Public types of the emulator's organizations, memberships and organization invitations. */
import type { InvitationStatus } from './clerk-defaults.ts';

/** What {@link Emulator.seedOrganization} accepts. */
export interface SeedOrganization {
  /** Defaults to a fresh `org_…` id. */
  id?: string;
  name: string;
  /** Role keys the instance offers in this organization; default `['org:admin', 'org:member']`. */
  roles?: string[];
  /** Clerk's `max_allowed_memberships`: members plus pending invitations; 0 (the default) is unlimited. */
  maxMemberships?: number;
}

export interface SeededOrganization {
  id: string;
  name: string;
  slug: string;
  roles: string[];
  maxMemberships: number;
  createdAt: number;
}

export interface SeededMembership {
  organizationId: string;
  userId: string;
  emailAddress: string;
  role: string;
  createdAt: number;
}

/** An organization invitation as the emulator stores it. */
export interface StoredOrgInvitation {
  id: string;
  organizationId: string;
  emailAddress: string;
  role: string;
  inviterId: string | null;
  publicMetadata: Record<string, unknown>;
  privateMetadata: Record<string, unknown>;
  /** Never stored as `expired`: that is derived from `expiresAt` whenever the invitation is read. */
  status: InvitationStatus;
  url: string;
  redirectUrl: string | null;
  notify: boolean;
  /**
   * How many invitation emails Clerk would have sent: 1 on create with `notify`, plus one per
   * create that reused this pending invitation (`orgDuplicateInvitation: 'reuse'`).
   */
  emailsSent: number;
  expiresAt: number;
  createdAt: number;
  updatedAt: number;
}

/** The inviter's public data Clerk embeds in an organization invitation (spec `OrganizationInvitationPublicUserData`). */
export interface WirePublicInviterData {
  user_id: string;
  first_name: string | null;
  last_name: string | null;
  image_url: string;
  has_image: boolean;
  identifier: string;
}

/** An organization invitation exactly as the emulator puts it on the wire (spec schema `OrganizationInvitation`). */
export interface WireOrgInvitation {
  object: 'organization_invitation';
  id: string;
  email_address: string;
  role: string;
  role_name: string;
  organization_id: string;
  inviter_id: string | null;
  public_inviter_data: WirePublicInviterData | null;
  status: InvitationStatus;
  public_metadata: Record<string, unknown>;
  private_metadata: Record<string, unknown>;
  /** The ticket link in the answer that created the invitation; null in every other answer. */
  url: string | null;
  expires_at: number;
  created_at: number;
  updated_at: number;
}

/**
 * What a create does with an address that already has a pending invitation in the organization:
 * `refuse` answers 400 `duplicate_record`; `reuse` answers with the pending invitation and counts a
 * resent email, as Clerk's 2024 code did.
 */
export type OrgDuplicateInvitation = 'refuse' | 'reuse';

/** Which key the organization invitation hourly windows count under. */
export type OrgLimitScope = 'instance' | 'organization';
