/**
 * The organization invitation endpoints. The order of checks follows Clerk's 2024 Go code
 * (`bapi/v1/organization_invitations` and `shared/organizations`, one transaction per call), so a
 * refused call creates nothing. For creates, the first failing step answers:
 *  1. body not JSON / not an array (bulk) or object (single) / empty array → 400 request_body_invalid
 *  2. unknown organization → 404 resource_not_found
 *  3. bulk over 10 items → 400 bulk_size_exceeded
 *  4. per-item field errors (spec, address, redirect_url, metadata size) together with one 404
 *     resource_not_found on `role` when any role is not one of the organization's, combined the way
 *     Clerk's `apierror.Combine` does
 *  5. `inviter_user_id` not a member → 403 not_a_member_in_organization; a member without the
 *     members-manage permission → 403 missing_organization_permission
 *  6. members + pending invitations + items over `max_allowed_memberships` → 403
 *     organization_membership_quota_exceeded
 *  7. the same address twice in one body → 400 organization_invitation_not_unique (Clerk's unique
 *     index on pending invitations fails the second insert)
 *  8. an address whose user is already a member → 400 already_a_member_in_organization, naming the
 *     user id (not the address) like Clerk, for the first such item
 *  9. a pending invitation for an address: `refuse` → 400 duplicate_record listing every such
 *     address; `reuse` → that invitation is answered again and its email resent
 */
import { type ClerkApiError, clerkErrors, combineErrors } from './clerk-errors.ts';
import { METADATA_MAX_BYTES, compactJsonBytes, fieldRuleErrors, metadataTooLarge } from './field-rules.ts';
import type { InstanceStore } from './instance-store.ts';
import { normalizeEmail } from './clerk-defaults.ts';
import type { RouteContext, RouteResult } from './invitation-routes.ts';
import { MEMBERS_MANAGE_PERMISSION, type NewOrgInvitation, canManageMembers } from './organization-store.ts';
import type { SeededOrganization, StoredOrgInvitation } from './organization-types.ts';
import { firstErrorPerPath, toClerkFormError } from './spec-validator.ts';

const MAX_BULK_SIZE = 10;
const BODY = '/requestBody';
const STATUSES = ['pending', 'accepted', 'revoked', 'expired'];

const fail = (error: ClerkApiError | undefined): never => {
  throw error;
};

function organizationOf(ctx: RouteContext): SeededOrganization {
  const id = ctx.pathParams.organization_id ?? '';
  return ctx.store.orgs.organizations.get(id) ?? fail(clerkErrors.resourceNotFound());
}

/** Clerk's `EnsureHasAccess`: every acting user must be a member holding the members-manage permission. */
function ensureCanManage(store: InstanceStore, organizationId: string, userIds: string[]): void {
  const members = userIds.map((id) => store.orgs.membership(organizationId, id));
  if (members.some((member) => !member)) fail(clerkErrors.notAMemberInOrganization());
  if (members.some((member) => member && !canManageMembers(member.role))) {
    fail(clerkErrors.missingOrganizationPermission([MEMBERS_MANAGE_PERMISSION]));
  }
}

function itemErrors(item: unknown, schemaErrors: RouteContext['schemaErrors']): ClerkApiError[] {
  const errors = firstErrorPerPath(schemaErrors).map(toClerkFormError);
  if (!item || typeof item !== 'object') return errors;
  const flagged = new Set(schemaErrors.map((e) => e.instancePath.split('/').at(-1) ?? ''));
  const fields = item as Record<string, unknown>;
  const all = [...errors, ...fieldRuleErrors(fields, flagged)];
  // Clerk checks private metadata with the same size rule as public metadata.
  const privateMetadata = fields.private_metadata;
  if (privateMetadata !== null && typeof privateMetadata === 'object' && !flagged.has('private_metadata')) {
    if (compactJsonBytes(privateMetadata) > METADATA_MAX_BYTES) all.push(metadataTooLarge('private_metadata'));
  }
  return all;
}

function toNew(item: Record<string, unknown>): NewOrgInvitation {
  return {
    emailAddress: item.email_address as string,
    role: item.role as string,
    inviterId: item.inviter_user_id as string | null | undefined,
    publicMetadata: item.public_metadata as Record<string, unknown> | null | undefined,
    privateMetadata: item.private_metadata as Record<string, unknown> | null | undefined,
    redirectUrl: item.redirect_url as string | null | undefined,
    notify: item.notify as boolean | null | undefined,
    expiresInDays: item.expires_in_days as number | null | undefined,
  };
}

const wire = (ctx: RouteContext, invitation: StoredOrgInvitation, withUrl = false) =>
  ctx.store.orgs.toWire(invitation, ctx.now, ctx.store.users.values(), withUrl);

interface Committed {
  /** In item order: each item's new invitation, or the pending one reused for it. */
  invitations: StoredOrgInvitation[];
  created: Set<string>;
}

/** Steps 4–9 of the check order for a body's items. */
function commitCreates(
  ctx: RouteContext,
  organization: SeededOrganization,
  raw: unknown[],
  errorsFor: (index: number) => RouteContext['schemaErrors'],
): Committed {
  const { store, now } = ctx;
  const found = raw.flatMap((item, index) => itemErrors(item, errorsFor(index)));
  const items = raw as Record<string, unknown>[];
  const unknownRole = items.some((item) => typeof item.role === 'string' && !organization.roles.includes(item.role));
  if (unknownRole) found.push(clerkErrors.organizationRoleNotFound('role'));
  if (found.length > 0) fail(combineErrors(found));

  const news = items.map(toNew);
  const inviters = [...new Set(news.flatMap((item) => (item.inviterId ? [item.inviterId] : [])))];
  if (inviters.length > 0) ensureCanManage(store, organization.id, inviters);

  const members = store.orgs.memberships.get(organization.id)?.size ?? 0;
  const pending = store.orgs.pendingFor(organization.id, now).length;
  if (organization.maxMemberships > 0 && members + pending + news.length > organization.maxMemberships) {
    fail(clerkErrors.organizationMembershipQuotaExceeded(organization.maxMemberships));
  }

  const addresses = news.map((item) => normalizeEmail(item.emailAddress));
  if (new Set(addresses).size !== addresses.length) fail(clerkErrors.organizationInvitationNotUnique());

  for (const address of addresses) {
    const user = store.users.get(address);
    if (user && store.orgs.membership(organization.id, user.id)) fail(clerkErrors.alreadyAMemberInOrganization(user.id));
  }

  const existing = addresses.map((address) => store.orgs.findPending(organization.id, address, now));
  if (ctx.orgDuplicateInvitation !== 'reuse') {
    const taken = addresses.filter((_, index) => existing[index]);
    if (taken.length > 0) fail(clerkErrors.duplicateInvitations(taken));
  }

  const created = new Set<string>();
  const invitations = news.map((item, index) => {
    const reused = existing[index];
    if (reused) {
      // Clerk's 2024 code resent the email of the pending invitation and saved nothing else.
      if (item.notify !== false) reused.emailsSent += 1;
      return reused;
    }
    const invitation = store.orgs.create(organization.id, item, now);
    created.add(invitation.id);
    return invitation;
  });
  return { invitations, created };
}

/** Only new invitations count as committed: a reused one was already there. */
const outcome = ({ created }: Committed) => ({ status: 200, committed: created.size > 0, invitationIds: [...created] });

const bodyErrors = (ctx: RouteContext) => ctx.schemaErrors.filter((e) => e.instancePath.startsWith(BODY));

export function createOrgInvitation(ctx: RouteContext): RouteResult {
  if (Array.isArray(ctx.body) || (ctx.body !== undefined && typeof ctx.body !== 'object') || ctx.body === null) {
    fail(clerkErrors.requestBodyInvalid());
  }
  const organization = organizationOf(ctx);
  if (ctx.body === undefined) {
    fail(combineErrors([clerkErrors.formParamMissing('email_address'), clerkErrors.formParamMissing('role')]));
  }
  const result = commitCreates(ctx, organization, [ctx.body], () => bodyErrors(ctx));
  const [invitation] = result.invitations as [StoredOrgInvitation];
  return { ...outcome(result), body: wire(ctx, invitation, result.created.has(invitation.id)) };
}

export function createOrgInvitationBulk(ctx: RouteContext): RouteResult {
  // The SDK sends no body at all for an empty array, so "no body" and "[]" are the same mistake.
  if (!Array.isArray(ctx.body) || ctx.body.length === 0) fail(clerkErrors.requestBodyInvalid());
  const organization = organizationOf(ctx);
  const items = ctx.body as unknown[];
  if (items.length > MAX_BULK_SIZE) fail(clerkErrors.bulkSizeExceeded(MAX_BULK_SIZE));
  const errors = bodyErrors(ctx);
  const result = commitCreates(ctx, organization, items, (index) =>
    errors.filter((e) => e.instancePath === `${BODY}/${index}` || e.instancePath.startsWith(`${BODY}/${index}/`)),
  );
  const data = result.invitations.map((invitation) => wire(ctx, invitation, result.created.has(invitation.id)));
  return { ...outcome(result), body: { data, total_count: data.length } };
}

const ORDER_FIELDS = { created_at: 'createdAt', email_address: 'emailAddress' } as const;

/**
 * Always the `{ data, total_count }` envelope (Clerk's 2024 code paginated unconditionally). `status`
 * may repeat, as the SDK sends one parameter per value; no status lists every status.
 */
export function listOrgInvitations(ctx: RouteContext): RouteResult {
  const organization = organizationOf(ctx);
  const rawStatus = ctx.rawQuery.status;
  const statuses = rawStatus === undefined ? [] : [rawStatus].flat();
  // The spec types `status` as one string, but its text and the SDK send several: checked here instead.
  const queryErrors = ctx.schemaErrors.filter(
    (e) => e.instancePath.startsWith('/query/') && e.instancePath !== '/query/status',
  );
  const badStatus = statuses.find((status) => !STATUSES.includes(status));
  const found = firstErrorPerPath(queryErrors).map(toClerkFormError);
  if (badStatus !== undefined) {
    found.push(
      clerkErrors.formParamValueInvalid(
        'status',
        `${badStatus} does not match the allowed values for parameter status. ` +
          'Allowed values: pending, accepted, revoked or expired',
      ),
    );
  }
  if (found.length > 0) fail(combineErrors(found));

  const orderBy = String(ctx.query.order_by ?? '-created_at');
  const order = /^([+-]?)(created_at|email_address)$/.exec(orderBy);
  if (!order) {
    fail(
      clerkErrors.formParamValueInvalid(
        'order_by',
        `${orderBy} does not match the allowed values for parameter order_by. Allowed values: created_at or email_address`,
      ),
    );
  }
  const direction = order?.[1] === '-' ? -1 : 1;
  const field = ORDER_FIELDS[order?.[2] as keyof typeof ORDER_FIELDS];
  const email = typeof ctx.query.email_address === 'string' ? normalizeEmail(ctx.query.email_address) : undefined;
  const { orgs } = ctx.store;
  const rows = [...orgs.invitations.values()]
    .map((invitation, index) => ({ invitation, index, status: orgs.statusOf(invitation, ctx.now) }))
    .filter(({ invitation }) => invitation.organizationId === organization.id)
    .filter(({ status }) => statuses.length === 0 || statuses.includes(status))
    .filter(({ invitation }) => email === undefined || invitation.emailAddress === email)
    .sort((a, b) => {
      const x = a.invitation[field];
      const y = b.invitation[field];
      return (x < y ? -1 : x > y ? 1 : a.index - b.index) * direction;
    });
  const offset = Number(ctx.query.offset ?? 0);
  const page = rows.slice(offset, offset + Number(ctx.query.limit ?? 10));
  return {
    status: 200,
    body: { data: page.map(({ invitation }) => wire(ctx, invitation)), total_count: rows.length },
    committed: false,
    invitationIds: [],
  };
}

export function getOrgInvitation(ctx: RouteContext): RouteResult {
  const organization = organizationOf(ctx);
  const invitation = ctx.store.orgs.invitations.get(ctx.pathParams.invitation_id ?? '');
  if (!invitation || invitation.organizationId !== organization.id) fail(clerkErrors.resourceNotFound());
  return { status: 200, body: wire(ctx, invitation as StoredOrgInvitation), committed: false, invitationIds: [] };
}

/**
 * Only a pending invitation can be revoked; a missing, accepted, revoked or expired one gets Clerk's
 * 404 organization_invitation_not_pending. `requesting_user_id`, when given, must be able to manage members.
 */
export function revokeOrgInvitation(ctx: RouteContext): RouteResult {
  const organization = organizationOf(ctx);
  const found = bodyErrors(ctx);
  if (found.length > 0) fail(combineErrors(firstErrorPerPath(found).map(toClerkFormError)));
  const requester = (ctx.body as { requesting_user_id?: string | null } | undefined)?.requesting_user_id;
  if (requester) ensureCanManage(ctx.store, organization.id, [requester]);
  const invitation = ctx.store.orgs.invitations.get(ctx.pathParams.invitation_id ?? '');
  const pending = invitation?.organizationId === organization.id && ctx.store.orgs.statusOf(invitation, ctx.now) === 'pending';
  if (!pending) fail(clerkErrors.organizationInvitationNotPending());
  const revoked = invitation as StoredOrgInvitation;
  revoked.status = 'revoked';
  revoked.updatedAt = ctx.now;
  return { status: 200, body: wire(ctx, revoked), committed: true, invitationIds: [revoked.id] };
}
