/** The data of one emulated Clerk instance: invitations, seeded users and its rate-limit windows. */
import { DEFAULT_EXPIRES_IN_DAYS, normalizeEmail } from './clerk-defaults.ts';
import { randomBase62, randomId } from './ids.ts';
import { OrganizationStore } from './organization-store.ts';
import type { SeededMembership, StoredOrgInvitation } from './organization-types.ts';
import { type ResolvedLimits, InstanceLimiter } from './rate-limiter.ts';
import type { InvitationStatus, SeededUser, SeedInvitation, StoredInvitation, WireInvitation } from './types.ts';

const DAY_MS = 86_400_000;

export interface NewInvitation {
  emailAddress: string;
  publicMetadata?: Record<string, unknown> | null;
  redirectUrl?: string | null;
  notify?: boolean | null;
  ignoreExisting?: boolean | null;
  expiresInDays?: number | null;
  templateSlug?: 'invitation' | 'waitlist_invitation';
}

export class InstanceStore {
  readonly invitations = new Map<string, StoredInvitation>();
  /** Invitations by address, so the duplicate check per item does not scan every invitation ever made. */
  private readonly byEmail = new Map<string, StoredInvitation[]>();
  readonly users = new Map<string, SeededUser>();
  limiter: InstanceLimiter;
  readonly orgs: OrganizationStore;

  constructor(
    readonly secretKey: string,
    private readonly limits: ResolvedLimits,
    /** Base of the ticket links; the emulator's own URL so the link can be followed locally. */
    private readonly ticketBaseUrl: string,
  ) {
    this.limiter = new InstanceLimiter(limits);
    this.orgs = new OrganizationStore(ticketBaseUrl);
  }

  reset(): void {
    this.invitations.clear();
    this.byEmail.clear();
    this.users.clear();
    this.orgs.reset();
    this.limiter = new InstanceLimiter(this.limits);
  }

  statusOf(invitation: StoredInvitation, now: number): InvitationStatus {
    return invitation.status === 'pending' && now >= invitation.expiresAt ? 'expired' : invitation.status;
  }

  /**
   * Clerk's 2024 serializer omits `revoked` when false and sets `url` only in the response that
   * created the invitation; copying that keeps callers from relying on fields Clerk may not send.
   */
  toWire(invitation: StoredInvitation, now: number, withUrl = false): WireInvitation {
    return {
      object: 'invitation',
      id: invitation.id,
      email_address: invitation.emailAddress,
      public_metadata: invitation.publicMetadata,
      ...(invitation.status === 'revoked' ? { revoked: true as const } : {}),
      status: this.statusOf(invitation, now),
      ...(withUrl ? { url: invitation.url } : {}),
      expires_at: invitation.expiresAt,
      created_at: invitation.createdAt,
      updated_at: invitation.updatedAt,
    };
  }

  /** Only a pending, unexpired invitation blocks a new one; expired, accepted and revoked do not. */
  hasPendingInvitation(email: string, now: number): boolean {
    return (this.byEmail.get(normalizeEmail(email)) ?? []).some((invitation) => this.statusOf(invitation, now) === 'pending');
  }

  hasUser(email: string): boolean {
    return this.users.has(normalizeEmail(email));
  }

  create(input: NewInvitation, now: number): StoredInvitation {
    const id = randomId('inv');
    const invitation: StoredInvitation = {
      id,
      emailAddress: normalizeEmail(input.emailAddress),
      publicMetadata: input.publicMetadata ?? {},
      status: 'pending',
      url: `${this.ticketBaseUrl}/v1/tickets/accept?ticket=${randomBase62(48)}`,
      redirectUrl: input.redirectUrl ?? null,
      notify: input.notify ?? true,
      ignoreExisting: input.ignoreExisting ?? false,
      templateSlug: input.templateSlug ?? 'invitation',
      expiresAt: now + (input.expiresInDays ?? DEFAULT_EXPIRES_IN_DAYS) * DAY_MS,
      createdAt: now,
      updatedAt: now,
    };
    this.invitations.set(id, invitation);
    this.byEmail.set(invitation.emailAddress, [...(this.byEmail.get(invitation.emailAddress) ?? []), invitation]);
    return invitation;
  }

  delete(id: string): boolean {
    const invitation = this.invitations.get(id);
    if (!invitation) return false;
    this.invitations.delete(id);
    const rest = (this.byEmail.get(invitation.emailAddress) ?? []).filter((i) => i !== invitation);
    if (rest.length > 0) this.byEmail.set(invitation.emailAddress, rest);
    else this.byEmail.delete(invitation.emailAddress);
    return true;
  }

  /** Stores an invitation directly, bypassing validation, duplicate checks and limits. */
  seedInvitation(seed: SeedInvitation, now: number): StoredInvitation {
    const createdAt = seed.createdAt ?? now;
    const invitation = this.create(
      { emailAddress: seed.emailAddress, publicMetadata: seed.publicMetadata, expiresInDays: seed.expiresInDays },
      createdAt,
    );
    invitation.status = seed.status ?? 'pending';
    if (invitation.status === 'accepted') this.seedUser(invitation.emailAddress, createdAt);
    return invitation;
  }

  seedUser(email: string, now: number): SeededUser {
    const emailAddress = normalizeEmail(email);
    const existing = this.users.get(emailAddress);
    if (existing) return existing;
    const user: SeededUser = { id: randomId('user'), emailAddress, createdAt: now };
    this.users.set(emailAddress, user);
    return user;
  }

  /** Marks the invitation accepted and creates its user, as a completed sign-up would. */
  accept(id: string, now: number): StoredInvitation | undefined {
    const invitation = this.invitations.get(id);
    if (!invitation) return undefined;
    if (this.statusOf(invitation, now) !== 'pending') {
      throw new Error(`invitation ${id} is ${this.statusOf(invitation, now)}, only pending ones can be accepted`);
    }
    invitation.status = 'accepted';
    invitation.updatedAt = now;
    this.seedUser(invitation.emailAddress, now);
    return invitation;
  }

  findByTicketUrl(ticket: string): StoredInvitation | undefined {
    for (const invitation of this.invitations.values()) {
      if (new URL(invitation.url).searchParams.get('ticket') === ticket) return invitation;
    }
    return undefined;
  }

  userById(id: string): SeededUser | undefined {
    return [...this.users.values()].find((user) => user.id === id);
  }

  /** Adds a member by address (seeding the user when new) or by the id of a seeded user. */
  seedMembership(organizationId: string, user: string, role: string, now: number): SeededMembership {
    this.orgs.organization(organizationId);
    const member = user.includes('@') ? this.seedUser(user, now) : this.userById(user);
    if (!member) throw new RangeError(`unknown user ${user}`);
    return this.orgs.addMembership(organizationId, member, role, now);
  }

  /** Accepts a pending organization invitation: creates the user if new and makes it a member. */
  acceptOrgInvitation(id: string, now: number): StoredOrgInvitation {
    const invitation = this.orgs.invitations.get(id);
    if (!invitation) throw new RangeError(`unknown organization invitation ${id}`);
    const status = this.orgs.statusOf(invitation, now);
    if (status !== 'pending') throw new Error(`organization invitation ${id} is ${status}, only pending ones can be accepted`);
    const user = this.seedUser(invitation.emailAddress, now);
    if (!this.orgs.membership(invitation.organizationId, user.id)) {
      this.orgs.addMembership(invitation.organizationId, user, invitation.role, now);
    }
    invitation.status = 'accepted';
    invitation.updatedAt = now;
    return invitation;
  }
}
