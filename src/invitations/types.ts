/** The outcome codes of one invitation, as the schema's `InvitationErrorCode` enum. */
export type InvitationErrorCode =
  | 'INVALID_INPUT'
  | 'ALREADY_INVITED'
  | 'USER_EXISTS'
  | 'ALREADY_MEMBER'
  | 'MEMBERSHIP_QUOTA_EXCEEDED'
  | 'NOT_ALLOWED'
  | 'RATE_LIMITED'
  | 'UPSTREAM_ERROR'
  | 'OUTCOME_UNKNOWN'
  | 'CANCELLED';

export type TemplateSlug = 'invitation' | 'waitlist_invitation';

/** One validated invitation, in the shape `@clerk/backend` sends (camelCase, snake-cased on the wire). */
export interface InvitationParams {
  emailAddress: string;
  expiresInDays?: number;
  ignoreExisting?: boolean;
  notify?: boolean;
  publicMetadata?: Record<string, unknown>;
  redirectUrl?: string;
  templateSlug?: TemplateSlug;
  /** Organization invitations only: the role key the invitee gets, e.g. `org:member`. */
  role?: string;
  /** Organization invitations only: metadata only the Backend API reads. */
  privateMetadata?: Record<string, unknown>;
  /** Organization invitations only: the admin who invites (a session's user). */
  inviterUserId?: string;
}

/** An invitation as Clerk returned it, with timestamps in Unix milliseconds. */
export interface InvitationRecord {
  id: string;
  emailAddress: string;
  status: 'pending' | 'accepted' | 'revoked' | 'expired';
  publicMetadata: Record<string, unknown>;
  url: string | null;
  revoked: boolean;
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
  /**
   * Set on what a create call answered: the earliest moment, by Clerk's clock, at which that call can
   * have created anything. An invitation created before it was Clerk's existing one, answered again.
   */
  callLeftBy?: number;
  /** Organization invitations only. */
  organizationId?: string;
  role?: string;
  roleName?: string | null;
  /** The admin who invited, when Clerk recorded one. */
  inviterUserId?: string | null;
  privateMetadata?: Record<string, unknown>;
}

export interface InvitationCreated {
  kind: 'created';
  invitation: InvitationRecord;
}

export interface InvitationFailed {
  kind: 'failed';
  emailAddress: string;
  code: InvitationErrorCode;
  message: string;
  retryable: boolean;
  retryAfterSeconds: number | null;
  clerkTraceId: string | null;
}

export type InvitationOutcome = InvitationCreated | InvitationFailed;

export const failed = (
  emailAddress: string,
  code: InvitationErrorCode,
  message: string,
  extra: Partial<Pick<InvitationFailed, 'retryable' | 'retryAfterSeconds' | 'clerkTraceId'>> = {},
): InvitationFailed => ({
  kind: 'failed',
  emailAddress,
  code,
  message,
  retryable: extra.retryable ?? false,
  retryAfterSeconds: extra.retryAfterSeconds ?? null,
  clerkTraceId: extra.clerkTraceId ?? null,
});
