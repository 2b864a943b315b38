/** The organizations of one emulated instance: their roles, memberships and invitations. */
import { randomBase62, randomId } from './ids.ts';
import { DEFAULT_EXPIRES_IN_DAYS, normalizeEmail } from './clerk-defaults.ts';
import type {
  SeededMembership,
  SeededOrganization,
  SeedOrganization,
  StoredOrgInvitation,
  WireOrgInvitation,
} from './organization-types.ts';
import type { InvitationStatus, SeededUser } from './types.ts';

const DAY_MS = 86_400_000;
export const DEFAULT_ORG_ROLES = ['org:admin', 'org:member'];
/** The system permission Clerk requires of an inviter or revoker (`EnsureHasAccess` in its 2024 code). */
export const MEMBERS_MANAGE_PERMISSION = 'org:sys_memberships:manage';

/** Clerk shows a role's name beside its key; `org:billing_manager` → `Billing manager`. */
export function roleName(key: string): string {
  const bare = key.replace(/^org:/, '').replace(/_/g, ' ');
  return bare.charAt(0).toUpperCase() + bare.slice(1);
}

/** Only the built-in admin role carries the members-manage permission in the emulator. */
export const canManageMembers = (role: string) => role === 'org:admin';

export interface NewOrgInvitation {
  emailAddress: string;
  role: string;
  inviterId?: string | null;
  publicMetadata?: Record<string, unknown> | null;
  privateMetadata?: Record<string, unknown> | null;
  redirectUrl?: string | null;
  notify?: boolean | null;
  expiresInDays?: number | null;
}

export class OrganizationStore {
  readonly organizations = new Map<string, SeededOrganization>();
  /** Organization id → user id → membership. */
  readonly memberships = new Map<string, Map<string, SeededMembership>>();
  readonly invitations = new Map<string, StoredOrgInvitation>();

  constructor(private readonly ticketBaseUrl: string) {}

  reset(): void {
    this.organizations.clear();
    this.memberships.clear();
    this.invitations.clear();
  }

  seedOrganization(seed: SeedOrganization, now: number): SeededOrganization {
    const id = seed.id ?? randomId('org');
    if (this.organizations.has(id)) throw new RangeError(`organization ${id} already exists`);
    if (typeof seed.name !== 'string' || seed.name.trim() === '') {
      throw new RangeError('organization name must be a non-empty string');
    }
    const roles = seed.roles ?? DEFAULT_ORG_ROLES;
    if (roles.length === 0 || roles.some((role) => typeof role !== 'string' || role === '')) {
      throw new RangeError('organization roles must be non-empty strings');
    }
    const maxMemberships = seed.maxMemberships ?? 0;
    if (!Number.isInteger(maxMemberships) || maxMemberships < 0) {
      throw new RangeError(`maxMemberships must be a non-negative integer, got ${String(seed.maxMemberships)}`);
    }
    const slug = `${seed.name.trim().toLowerCase().replace(/[^a-z0-9\-_]+/g, '-')}-${Math.floor(now / 1000)}`;
    const organization = { id, name: seed.name.trim(), slug, roles: [...new Set(roles)], maxMemberships, createdAt: now };
    this.organizations.set(id, organization);
    this.memberships.set(id, new Map());
    return organization;
  }

  organization(id: string): SeededOrganization {
    const organization = this.organizations.get(id);
    if (!organization) throw new RangeError(`unknown organization ${id}`);
    return organization;
  }

  addMembership(organizationId: string, user: SeededUser, role: string, now: number): SeededMembership {
    const organization = this.organization(organizationId);
    if (!organization.roles.includes(role)) {
      throw new RangeError(`role ${role} is not one of ${organization.id}'s roles (${organization.roles.join(', ')})`);
    }
    const members = this.memberships.get(organizationId) as Map<string, SeededMembership>;
    if (members.has(user.id)) throw new RangeError(`user ${user.id} is already a member of ${organizationId}`);
    const membership = { organizationId, userId: user.id, emailAddress: user.emailAddress, role, createdAt: now };
    members.set(user.id, membership);
    return membership;
  }

  membership(organizationId: string, userId: string): SeededMembership | undefined {
    return this.memberships.get(organizationId)?.get(userId);
  }

  statusOf(invitation: StoredOrgInvitation, now: number): InvitationStatus {
    return invitation.status === 'pending' && now >= invitation.expiresAt ? 'expired' : invitation.status;
  }

  /** Pending, unexpired invitations of the organization, which count against its membership quota. */
  pendingFor(organizationId: string, now: number): StoredOrgInvitation[] {
    return [...this.invitations.values()].filter(
      (invitation) => invitation.organizationId === organizationId && this.statusOf(invitation, now) === 'pending',
    );
  }

  findPending(organizationId: string, email: string, now: number): StoredOrgInvitation | undefined {
    const address = normalizeEmail(email);
    return this.pendingFor(organizationId, now).find((invitation) => invitation.emailAddress === address);
  }

  create(organizationId: string, input: NewOrgInvitation, now: number): StoredOrgInvitation {
    const notify = input.notify ?? true;
    const invitation: StoredOrgInvitation = {
      id: randomId('orginv'),
      organizationId,
      emailAddress: normalizeEmail(input.emailAddress),
      role: input.role,
      inviterId: input.inviterId ?? null,
      publicMetadata: input.publicMetadata ?? {},
      privateMetadata: input.privateMetadata ?? {},
      status: 'pending',
      url: `${this.ticketBaseUrl}/v1/tickets/accept?ticket=${randomBase62(48)}`,
      redirectUrl: input.redirectUrl ?? null,
      notify,
      emailsSent: notify ? 1 : 0,
      expiresAt: now + (input.expiresInDays ?? DEFAULT_EXPIRES_IN_DAYS) * DAY_MS,
      createdAt: now,
      updatedAt: now,
    };
    this.invitations.set(invitation.id, invitation);
    return invitation;
  }

  /**
   * The spec marks `url` required but nullable: the ticket link is given in the answer that created
   * the invitation and null elsewhere, as the emulator's instance invitations give it only on create.
   */
  toWire(invitation: StoredOrgInvitation, now: number, users: Iterable<SeededUser>, withUrl = false): WireOrgInvitation {
    const inviter = invitation.inviterId ? [...users].find((user) => user.id === invitation.inviterId) : undefined;
    const inviterData = inviter && {
      user_id: inviter.id,
      first_name: null,
      last_name: null,
      image_url: '',
      has_image: false,
      identifier: inviter.emailAddress,
    };
    return {
      object: 'organization_invitation',
      id: invitation.id,
      email_address: invitation.emailAddress,
      role: invitation.role,
      role_name: roleName(invitation.role),
      organization_id: invitation.organizationId,
      inviter_id: invitation.inviterId,
      public_inviter_data: inviterData ?? null,
      status: this.statusOf(invitation, now),
      public_metadata: invitation.publicMetadata,
      private_metadata: invitation.privateMetadata,
      url: withUrl ? invitation.url : null,
      expires_at: invitation.expiresAt,
      created_at: invitation.createdAt,
      updated_at: invitation.updatedAt,
    };
  }

  findByTicket(ticket: string): StoredOrgInvitation | undefined {
    for (const invitation of this.invitations.values()) {
      if (new URL(invitation.url).searchParams.get('ticket') === ticket) return invitation;
    }
    return undefined;
  }
}
