/** Public types of the Clerk Backend API emulator. */
import type {
  OrgDuplicateInvitation,
  OrgLimitScope,
  SeededMembership,
  SeededOrganization,
  SeedOrganization,
  StoredOrgInvitation,
} from './organization-types.ts';
import type { SessionTokenOptions } from './session-keys.ts';

import type { InvitationStatus } from './clerk-defaults.ts';

export type { InvitationStatus };

/** An invitation exactly as the emulator puts it on the wire (spec schema `Invitation`). */
export interface WireInvitation {
  object: 'invitation';
  id: string;
  email_address: string;
  public_metadata: Record<string, unknown>;
  /** Present only when true, as Clerk's serializer omits a false value. */
  revoked?: true;
  status: InvitationStatus;
  /** The ticket link; present only in the response that created the invitation. */
  url?: string;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
}

/** An invitation as the emulator stores it: the wire fields plus what was sent but is not returned. */
export interface StoredInvitation {
  id: string;
  emailAddress: string;
  publicMetadata: Record<string, unknown>;
  /** Never stored as `expired`: that is derived from `expiresAt` whenever the invitation is read. */
  status: InvitationStatus;
  url: string;
  redirectUrl: string | null;
  notify: boolean;
  ignoreExisting: boolean;
  templateSlug: 'invitation' | 'waitlist_invitation';
  expiresAt: number;
  createdAt: number;
  updatedAt: number;
}

/** What {@link Emulator.seedInvitations} accepts; everything but the address is optional. */
export interface SeedInvitation {
  emailAddress: string;
  status?: 'pending' | 'accepted' | 'revoked';
  publicMetadata?: Record<string, unknown>;
  /** Defaults to the emulator clock. */
  createdAt?: number;
  /** Defaults to 30; counted from `createdAt`. */
  expiresInDays?: number;
}

/** A user seeded so that invitations to its address fail with `form_identifier_exists`. */
export interface SeededUser {
  id: string;
  emailAddress: string;
  createdAt: number;
}

/** Which emulated endpoint a request reached; the `org-` kinds are the organization invitation endpoints. */
export type RouteKind =
  | 'single'
  | 'bulk'
  | 'list'
  | 'revoke'
  | 'delete'
  | 'users'
  | 'users-count'
  | 'jwks'
  | 'org-single'
  | 'org-bulk'
  | 'org-list'
  | 'org-get'
  | 'org-revoke';

export type FaultRoute = RouteKind | 'any';

export type FaultKind =
  | 'latency'
  | 'hang'
  | 'error500-before-commit'
  | 'error500-after-commit'
  | 'reset-before-commit'
  | 'reset-after-commit'
  | 'rate-limit'
  | 'malformed-body'
  | 'edge-before-commit'
  | 'edge-after-commit'
  | 'edge-during-commit';

/**
 * How a `malformed-body` fault corrupts the answer. All variants run the real handler first, so the
 * invitation may have been committed (the call record says so):
 * - `html-502`: status 502, `text/html` page, as a failing proxy in front of Clerk would send;
 * - `non-json-200`: status 200, `text/plain` garbage (the SDK resolves with the raw string);
 * - `wrong-shape-200`: status 200, `application/json` that is not the documented shape.
 */
export type MalformedBodyVariant = 'html-502' | 'non-json-200' | 'wrong-shape-200';

/** One fault-injection rule. The first rule that matches a request (and wins its dice roll) applies. */
export interface FaultRule {
  route: FaultRoute;
  fault: FaultKind;
  /** 0..1, rolled with the emulator's seedable RNG; default 1. */
  probability?: number;
  /** Apply this many times, then drop the rule; default unlimited. */
  times?: number;
  /** Restrict to one instance (its secret key); default every instance. */
  secretKey?: string;
  /** `latency`: delay before answering normally; default 1000. */
  latencyMs?: number;
  /** `rate-limit`: the `Retry-After` seconds to send; default 60. */
  retryAfterSeconds?: number;
  /** `malformed-body`: default `html-502`. */
  variant?: MalformedBodyVariant;
  /** `edge-*`: the status of the CDN's HTML page; default 502. */
  edgeStatus?: 502 | 504 | 524;
  /** `edge-during-commit`: how long after the edge's answer Clerk commits; default 300. */
  commitDelayMs?: number;
}

/** A rule as currently installed, with how often it has fired. */
export interface ActiveFaultRule extends FaultRule {
  id: number;
  applied: number;
}

/** In-process control over fault injection (the HTTP control routes call the same methods). */
export interface FaultController {
  /** Install rules after the existing ones; returns the installed rules. */
  add(...rules: FaultRule[]): ActiveFaultRule[];
  /** Remove every rule. */
  clear(): void;
  /** The installed rules, in matching order. */
  list(): ActiveFaultRule[];
  /** Restart the RNG used for `probability` from a seed, for reproducible runs. */
  seed(seed: number): void;
}

/** One request as the emulator saw it. */
export interface CallRecord {
  seq: number;
  /** Emulator clock (ms) when the request arrived. */
  time: number;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** Parsed JSON body, the raw text when it was not JSON, or undefined when empty. */
  body: unknown;
  /** The status sent, or null when the request hung or its socket was destroyed. */
  status: number | null;
  /** The secret key of the instance that authenticated the request, if any. */
  instance: string | null;
  /** The endpoint matched, or null when authentication or routing failed first. */
  route: RouteKind | null;
  fault: FaultKind | null;
  /**
   * True when the request created or changed stored data (an invitation, a revocation). After an
   * `edge-during-commit` fault it turns true only when the delayed commit has run.
   */
  committed: boolean;
  /** Ids of invitations the request created, revoked or deleted. */
  invitationIds: string[];
  /** Clerk error codes in the response, if it was an error. */
  errorCodes: string[];
  /**
   * The trace id the response carried: the envelope's `clerk_trace_id` of a Clerk error, or the
   * `cf-ray` header of an edge page (what the SDK reports as `clerkTraceId`); null otherwise.
   */
  traceId: string | null;
}

export interface EmulatorLimits {
  /** `POST /v1/invitations/bulk` calls per sliding hour per instance; default 25. */
  bulkPerHour?: number;
  /** `POST /v1/invitations` calls per sliding hour per instance; default 100. */
  singlePerHour?: number;
  /** All `/v1` calls except `/v1/jwks` per sliding 10 s per instance; off by default. */
  generalPer10s?: number;
  /** `POST /v1/organizations/{id}/invitations/bulk` calls per sliding hour; default 50 (Clerk's docs). */
  orgBulkPerHour?: number;
  /** `POST /v1/organizations/{id}/invitations` calls per sliding hour; default 250 (Clerk's docs). */
  orgSinglePerHour?: number;
  /** Whether the two organization windows are per instance (default) or per organization. */
  orgLimitScope?: OrgLimitScope;
  /**
   * The window, in ms, the four `*PerHour` limits count over; default 3_600_000 (Clerk's hour). A
   * shorter one runs "an hour" in seconds against a gateway whose UPSTREAM_BUDGET_WINDOW matches.
   */
  windowMs?: number;
}

export interface EmulatorOptions {
  /** 0 picks a free port; default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Each key is a separate Clerk instance with its own data and limits; default one generated key. */
  secretKeys?: string[];
  limits?: EmulatorLimits;
  /** Base clock for timestamps, expiry and rate-limit windows; default Date.now. */
  now?: () => number;
  /**
   * How far Clerk's clock runs ahead of the base clock (negative: behind), in ms; default 0. Every
   * timestamp the emulator writes, the `Date` response header and session-token `iat`/`exp` follow it.
   */
  clockOffsetMs?: number;
  /** Serve the `/__emulator/` control routes; default false. */
  control?: boolean;
  /** Seed for the fault RNG; default 1. */
  faultSeed?: number;
  /** An organization invitation create for an address with a pending one there; default `refuse`. */
  orgDuplicateInvitation?: OrgDuplicateInvitation;
}

/** A running emulator. Methods taking `secretKey` default to the first instance. */
export interface Emulator {
  /** Base URL for the SDK's `apiUrl`, e.g. `http://127.0.0.1:4010` (the SDK appends `/v1`). */
  readonly url: string;
  readonly port: number;
  /** One per emulated instance, in the order given. */
  readonly secretKeys: readonly string[];
  /** Every `/v1` request in arrival order (control routes are not recorded); emptied by `reset()`. */
  readonly calls: readonly CallRecord[];
  readonly faults: FaultController;
  /** Stops listening and destroys open connections, including hung requests. */
  close(): Promise<void>;
  /**
   * Forgets invitations, users, rate-limit windows, calls, faults and clock moves, drops delayed
   * commits still waiting, and sets Clerk's clock offset back to `options.clockOffsetMs`.
   */
  reset(): void;
  seedUsers(emails: readonly string[], secretKey?: string): SeededUser[];
  users(secretKey?: string): SeededUser[];
  /** Stores invitations directly, skipping validation, duplicate checks and rate limits. */
  seedInvitations(invitations: readonly SeedInvitation[], secretKey?: string): StoredInvitation[];
  /** Accepts a pending invitation and creates its user, as a completed sign-up would. */
  acceptInvitation(id: string, secretKey?: string): StoredInvitation;
  /** Every stored invitation, revoked ones included, oldest first. */
  invitations(secretKey?: string): StoredInvitation[];
  /** Creates an organization; a RangeError names a taken id or a bad name, role list or quota. */
  seedOrganization(organization: SeedOrganization, secretKey?: string): SeededOrganization;
  organizations(secretKey?: string): SeededOrganization[];
  /**
   * Makes a user a member with one of the organization's roles. `user` is an address (the user is
   * seeded when new) or the id of a seeded user.
   */
  seedMembership(organizationId: string, user: string, role: string, secretKey?: string): SeededMembership;
  memberships(organizationId: string, secretKey?: string): SeededMembership[];
  /** The organization's invitations, revoked ones included, oldest first, with `expired` derived. */
  organizationInvitations(organizationId: string, secretKey?: string): StoredOrgInvitation[];
  /** Accepts a pending organization invitation: creates the user if new and adds the membership. */
  acceptOrganizationInvitation(id: string, secretKey?: string): StoredOrgInvitation;
  /** Clerk's clock: `options.now` (default real time) plus the clock offset plus any `advanceClock` moves. */
  now(): number;
  /** Moves the emulator clock forward (or back) for rate-limit windows and expiry. */
  advanceClock(ms: number): void;
  /** How far Clerk's clock runs ahead of the base clock (negative: behind), in ms. */
  clockOffsetMs(): number;
  /** Sets Clerk's clock offset; a RangeError names `clockOffsetMs` when it is not a whole number within a year. */
  setClockOffset(ms: number): void;
  /**
   * Resolves once every commit that an `edge-during-commit` fault left running has run, so a test can
   * look at the result without guessing how long to wait.
   */
  settleDelayedCommits(): Promise<void>;
  /** Mints an RS256 session token that verifies against this instance's `GET /v1/jwks`. */
  signSessionToken(claims: Record<string, unknown>, options?: SessionTokenOptions): Promise<string>;
  /** The instance's signing key, e.g. `publicKeyPem` for the SDK's networkless `jwtKey`. */
  signingKey(secretKey?: string): Promise<{ kid: string; publicKeyPem: string }>;
}
