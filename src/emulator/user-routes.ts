/**
 * `GET /v1/users` and `GET /v1/users/count` over the seeded users, so callers can look addresses up
 * the way they would on Clerk. Only the `email_address`, `user_id` and `query` filters are applied;
 * the spec's other filters are accepted and ignored.
 */
import { clerkErrors, combineErrors } from './clerk-errors.ts';
import type { RouteContext, RouteResult } from './invitation-routes.ts';
import { normalizeEmail } from './clerk-defaults.ts';
import { firstErrorPerPath, toClerkFormError } from './spec-validator.ts';
import type { SeededUser } from './types.ts';

/** A user in the spec's `User` shape: a verified address and nothing else set. */
export function toWireUser(user: SeededUser) {
  const emailId = `idn_${user.id.slice('user_'.length)}`;
  return {
    id: user.id,
    object: 'user',
    external_id: null,
    primary_email_address_id: emailId,
    primary_phone_number_id: null,
    primary_web3_wallet_id: null,
    username: null,
    first_name: null,
    last_name: null,
    image_url: '',
    has_image: false,
    public_metadata: {},
    private_metadata: {},
    unsafe_metadata: {},
    email_addresses: [
      {
        id: emailId,
        object: 'email_address',
        email_address: user.emailAddress,
        reserved: false,
        verification: { object: 'verification_admin', status: 'verified', strategy: 'admin', attempts: null, expire_at: null },
        linked_to: [],
        created_at: user.createdAt,
        updated_at: user.createdAt,
      },
    ],
    phone_numbers: [],
    web3_wallets: [],
    passkeys: [],
    password_enabled: false,
    two_factor_enabled: false,
    totp_enabled: false,
    backup_code_enabled: false,
    external_accounts: [],
    saml_accounts: [],
    enterprise_accounts: [],
    last_sign_in_at: null,
    banned: false,
    locked: false,
    lockout_expires_in_seconds: null,
    verification_attempts_remaining: null,
    created_at: user.createdAt,
    updated_at: user.createdAt,
    delete_self_enabled: true,
    create_organization_enabled: true,
    last_active_at: null,
    mfa_enabled_at: null,
    mfa_disabled_at: null,
    legal_accepted_at: null,
  };
}

const asList = (value: unknown): string[] | undefined =>
  value === undefined ? undefined : (Array.isArray(value) ? value : [value]).map(String);

function matchingUsers(ctx: RouteContext): SeededUser[] {
  const queryErrors = ctx.schemaErrors.filter((e) => e.instancePath.startsWith('/query/'));
  if (queryErrors.length > 0) throw combineErrors(firstErrorPerPath(queryErrors).map(toClerkFormError));
  const emails = asList(ctx.query.email_address)?.map(normalizeEmail);
  const ids = asList(ctx.query.user_id);
  const search = typeof ctx.query.query === 'string' ? ctx.query.query.toLowerCase() : '';
  return [...ctx.store.users.values()]
    .filter((user) => !emails || emails.includes(user.emailAddress))
    .filter((user) => !ids || ids.includes(user.id))
    .filter((user) => !search || user.emailAddress.includes(search) || user.id.toLowerCase().includes(search));
}

export function listUsers(ctx: RouteContext): RouteResult {
  const orderBy = String(ctx.query.order_by ?? '-created_at');
  if (!/^[+-]?created_at$/.test(orderBy)) {
    throw clerkErrors.formParamValueInvalid('order_by', `${orderBy} is not supported by the emulator; use created_at`);
  }
  const users = matchingUsers(ctx);
  // Newest first by default; the seeding order breaks ties between equal timestamps.
  const ordered = users.map((user, index) => ({ user, index })).sort((a, b) => a.user.createdAt - b.user.createdAt || a.index - b.index);
  if (orderBy.startsWith('-')) ordered.reverse();
  const offset = Number(ctx.query.offset ?? 0);
  const page = ordered.slice(offset, offset + Number(ctx.query.limit ?? 10));
  return { status: 200, body: page.map(({ user }) => toWireUser(user)), committed: false, invitationIds: [] };
}

export function countUsers(ctx: RouteContext): RouteResult {
  return {
    status: 200,
    body: { object: 'total_count', total_count: matchingUsers(ctx).length },
    committed: false,
    invitationIds: [],
  };
}
