/**
 * The invitation endpoints. Schema rules (required fields, types, bounds, enums, array size) come from
 * the vendored spec through ajv; this file orders the checks and adds what a schema cannot say.
 *
 * Check order for creates, stopping at the first step that fails (Clerk's services validate first and
 * then run database checks one after another inside a transaction):
 *  1. body shape: not JSON / not an array (bulk) or object (single) / empty array → 400 request_body_invalid
 *  2. bulk over 10 items → 400 bulk_size_exceeded
 *  3. per-item field errors from the spec, plus address, `redirect_url` and metadata size rules
 *     (field-rules.ts) → 422, every item's
 *     errors concatenated in item order (no index: Clerk's errors carry none)
 *  4. bulk: the same address twice → 422 form_param_duplicate (see below)
 *  5. an address that belongs to a user → 422 form_identifier_exists naming no address. Bulk: always
 *     (the bulk endpoint says this "cannot be bypassed"). Single: unless the item sets
 *     ignore_existing, which the single endpoint says creates the invitation even if the address "is
 *     claimed by another user" (Clerk's 2024 single create skipped the user check then too).
 *  6. a pending invitation without ignore_existing → 400 duplicate_record listing every such address
 *  7. all items are created; nothing is created when any step above fails.
 */
import type { ErrorObject } from 'ajv';
import { type ClerkApiError, clerkErrors, combineErrors } from './clerk-errors.ts';
import { normalizeEmail } from './clerk-defaults.ts';
import type { InstanceStore, NewInvitation } from './instance-store.ts';
import { fieldRuleErrors } from './field-rules.ts';
import type { OrgDuplicateInvitation } from './organization-types.ts';
import { firstErrorPerPath, toClerkFormError } from './spec-validator.ts';

const MAX_BULK_SIZE = 10;
const BODY = '/requestBody';

export interface RouteContext {
  store: InstanceStore;
  now: number;
  /** The parsed body after spec defaults were applied (a copy; the call record keeps the original). */
  body: unknown;
  rawQuery: Record<string, string | string[]>;
  /** The query after the spec's type coercion and defaults. */
  query: Record<string, unknown>;
  pathParams: Record<string, string>;
  schemaErrors: ErrorObject[];
  /** What an organization invitation create does with an address that has a pending one. */
  orgDuplicateInvitation?: OrgDuplicateInvitation;
}

export interface RouteResult {
  status: number;
  body: unknown;
  committed: boolean;
  invitationIds: string[];
}

const fail = (error: ClerkApiError | undefined): never => {
  throw error;
};

function itemErrors(item: unknown, schemaErrors: ErrorObject[]): ClerkApiError[] {
  const errors = firstErrorPerPath(schemaErrors).map(toClerkFormError);
  if (!item || typeof item !== 'object') return errors;
  const flagged = new Set(schemaErrors.map((e) => e.instancePath.split('/').at(-1) ?? ''));
  return [...errors, ...fieldRuleErrors(item as Record<string, unknown>, flagged)];
}

function toNewInvitation(item: Record<string, unknown>): NewInvitation {
  return {
    emailAddress: item.email_address as string,
    publicMetadata: item.public_metadata as Record<string, unknown> | null | undefined,
    redirectUrl: item.redirect_url as string | null | undefined,
    notify: item.notify as boolean | null | undefined,
    ignoreExisting: item.ignore_existing as boolean | null | undefined,
    expiresInDays: item.expires_in_days as number | null | undefined,
    templateSlug: item.template_slug as NewInvitation['templateSlug'],
  };
}

/** Steps 4–7 of the check order, shared by single and bulk creates. */
function commitCreates(ctx: RouteContext, items: NewInvitation[], bulk: boolean): RouteResult {
  const { store, now } = ctx;
  // UNKNOWN in Clerk: the same address twice in one bulk body. We reject it like Clerk's user-create
  // rejects repeated addresses (form_param_duplicate), so a caller that forgets to dedupe finds out
  // here rather than by sending two emails to one person.
  const emails = items.map((item) => normalizeEmail(item.emailAddress));
  if (new Set(emails).size !== emails.length) fail(clerkErrors.formParamDuplicate('email_address'));
  // One error, naming no address: Clerk returns the field only, even when several items are users.
  // The endpoints differ: bulk refuses a user whatever ignore_existing says, single lets it through.
  const userChecked = (item: NewInvitation) => bulk || item.ignoreExisting !== true;
  if (items.some((item) => userChecked(item) && store.hasUser(item.emailAddress))) {
    fail(clerkErrors.formIdentifierExists('email_address'));
  }
  const pending = items
    .filter((item) => item.ignoreExisting !== true && store.hasPendingInvitation(item.emailAddress, now))
    .map((item) => normalizeEmail(item.emailAddress));
  if (pending.length > 0) fail(clerkErrors.duplicateInvitations(pending));

  const created = items.map((item) => store.create(item, now));
  const wire = created.map((invitation) => store.toWire(invitation, now, true));
  return {
    status: 200,
    body: bulk ? wire : wire[0],
    committed: true,
    invitationIds: created.map((invitation) => invitation.id),
  };
}

const bodyErrors = (ctx: RouteContext) => ctx.schemaErrors.filter((e) => e.instancePath.startsWith(BODY));

export function createInvitation(ctx: RouteContext): RouteResult {
  const errors = bodyErrors(ctx);
  if (Array.isArray(ctx.body) || (ctx.body !== undefined && typeof ctx.body !== 'object') || ctx.body === null) {
    fail(clerkErrors.requestBodyInvalid());
  }
  // No body decodes to no fields in Clerk, which then reports the missing address.
  const item = (ctx.body ?? {}) as Record<string, unknown>;
  const found = ctx.body === undefined ? [clerkErrors.formParamMissing('email_address')] : itemErrors(item, errors);
  if (found.length > 0) fail(combineErrors(found));
  return commitCreates(ctx, [toNewInvitation(item)], false);
}

export function createInvitationBulk(ctx: RouteContext): RouteResult {
  const errors = bodyErrors(ctx);
  // The SDK sends no body at all for an empty array, so "no body" and "[]" are the same mistake.
  if (!Array.isArray(ctx.body) || ctx.body.length === 0) fail(clerkErrors.requestBodyInvalid());
  const items = ctx.body as unknown[];
  if (items.length > MAX_BULK_SIZE) fail(clerkErrors.bulkSizeExceeded(MAX_BULK_SIZE));
  const found = items.flatMap((item, index) =>
    itemErrors(
      item,
      errors.filter((e) => e.instancePath === `${BODY}/${index}` || e.instancePath.startsWith(`${BODY}/${index}/`)),
    ),
  );
  if (found.length > 0) fail(combineErrors(found));
  return commitCreates(ctx, (items as Record<string, unknown>[]).map(toNewInvitation), true);
}

const ORDER_FIELDS = { created_at: 'createdAt', email_address: 'emailAddress', expires_at: 'expiresAt' } as const;

/**
 * `paginated=true` (what the SDK always sends) answers `{ data, total_count }` with limit/offset
 * applied (default limit 10). Without it the answer is a plain array, paginated only when `limit` or
 * `offset` is given, as Clerk kept for callers that predate pagination.
 */
export function listInvitations(ctx: RouteContext): RouteResult {
  const queryErrors = ctx.schemaErrors.filter((e) => e.instancePath.startsWith('/query/'));
  if (queryErrors.length > 0) fail(combineErrors(firstErrorPerPath(queryErrors).map(toClerkFormError)));
  const { store, now, query, rawQuery } = ctx;
  const orderBy = String(query.order_by);
  const order = /^([+-]?)(created_at|email_address|expires_at)$/.exec(orderBy);
  if (!order) {
    fail(
      clerkErrors.formParamValueInvalid(
        'order_by',
        `${orderBy} does not match the allowed values for parameter order_by. Allowed values: created_at, email_address or expires_at`,
      ),
    );
  }
  const direction = order?.[1] === '-' ? -1 : 1;
  const field = ORDER_FIELDS[order?.[2] as keyof typeof ORDER_FIELDS];
  const search = typeof query.query === 'string' ? query.query.toLowerCase() : '';

  const rows = [...store.invitations.values()]
    .map((invitation, index) => ({ invitation, index, status: store.statusOf(invitation, now) }))
    .filter(({ status }) => (query.status ? status === query.status : status !== 'revoked'))
    .filter(({ invitation }) => !search || invitation.emailAddress.includes(search) || invitation.id.toLowerCase().includes(search))
    .sort((a, b) => {
      const x = a.invitation[field];
      const y = b.invitation[field];
      // Creation order breaks ties, so equal timestamps from an injected clock still sort stably.
      return (x < y ? -1 : x > y ? 1 : a.index - b.index) * direction;
    });

  const paginated = query.paginated === true;
  const windowed = paginated || rawQuery.limit !== undefined || rawQuery.offset !== undefined;
  const offset = Number(query.offset);
  const page = windowed ? rows.slice(offset, offset + Number(query.limit)) : rows;
  const data = page.map(({ invitation }) => store.toWire(invitation, now));
  return {
    status: 200,
    body: paginated ? { data, total_count: rows.length } : data,
    committed: false,
    invitationIds: [],
  };
}

export function revokeInvitation(ctx: RouteContext): RouteResult {
  const id = ctx.pathParams.invitation_id ?? '';
  const invitation = ctx.store.invitations.get(id) ?? fail(clerkErrors.invitationNotFound(id));
  const status = ctx.store.statusOf(invitation, ctx.now);
  if (status === 'accepted') fail(clerkErrors.invitationAlreadyAccepted());
  if (status === 'revoked') fail(clerkErrors.invitationAlreadyRevoked());
  invitation.status = 'revoked';
  invitation.updatedAt = ctx.now;
  return { status: 200, body: ctx.store.toWire(invitation, ctx.now), committed: true, invitationIds: [id] };
}

/** Not in the spec, but in the SDK (`deleteInvitation`): removes an invitation of any status. */
export function deleteInvitation(ctx: RouteContext): RouteResult {
  const id = ctx.pathParams.invitation_id ?? '';
  if (!ctx.store.delete(id)) fail(clerkErrors.invitationNotFound(id));
  return { status: 200, body: { object: 'invitation', id, deleted: true }, committed: true, invitationIds: [id] };
}
