/**
 * Clerk-shaped API errors. Codes, statuses and wording follow Clerk's Go `apierror` package (as read in
 * a 2024 copy of it); when an error has no long text Clerk repeats the short one.
 */

export interface ClerkErrorItem {
  message: string;
  long_message: string;
  code: string;
  meta?: Record<string, unknown>;
}

/** One or more errors that share a response. */
export class ClerkApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: ClerkErrorItem[],
    readonly headers: Record<string, string> = {},
  ) {
    super(errors.map((e) => e.code).join(', '));
  }
}

function single(status: number, code: string, message: string, longMessage = message, meta?: Record<string, unknown>) {
  return new ClerkApiError(status, [{ message, long_message: longMessage, code, ...(meta ? { meta } : {}) }]);
}

/**
 * Merges errors into one response the way Clerk's `apierror.Combine` does: the shared status, or the
 * highest one rounded down to its hundred when they differ (400 + 422 ⇒ 400).
 */
export function combineErrors(errors: ClerkApiError[]): ClerkApiError | undefined {
  const [first] = errors;
  if (!first) return undefined;
  const statuses = new Set(errors.map((e) => e.status));
  const status = statuses.size === 1 ? first.status : Math.floor(Math.max(...statuses) / 100) * 100;
  return new ClerkApiError(
    status,
    errors.flatMap((e) => e.errors),
  );
}

const human = (param: string) => param.replace(/_/g, ' ');

export const clerkErrors = {
  authorizationHeaderFormatInvalid: () =>
    single(
      401,
      'authorization_header_format_invalid',
      'Invalid Authorization header format',
      'Invalid Authorization header format. Must be "Bearer <YOUR_API_KEY>"',
    ),
  clerkKeyInvalid: () =>
    single(
      401,
      'clerk_key_invalid',
      'The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.',
    ),
  apiVersionInvalid: (reason: string) =>
    single(400, 'api_version_invalid', 'invalid API version', `Invalid Clerk API version: ${reason}`),
  resourceNotFound: () => single(404, 'resource_not_found', 'not found', 'Resource not found'),
  invitationNotFound: (id: string) =>
    single(404, 'resource_not_found', 'not found', `No invitation was found with id ${id}.`),
  requestBodyInvalid: () =>
    single(
      400,
      'request_body_invalid',
      'Request body invalid',
      'The request body is invalid. Please consult the API documentation for more information.',
    ),
  unsupportedContentType: (actual: string) =>
    single(
      415,
      'unsupported_content_type',
      'Content-Type is unsupported',
      `Content-Type ${actual} is unsupported. You should use application/json instead.`,
    ),
  bulkSizeExceeded: (max: number) =>
    single(
      400,
      'bulk_size_exceeded',
      'bulk size exceeded',
      `Parameters exceed the maximum allowed bulk processing size of ${max}.`,
    ),
  formParamMissing: (param: string) =>
    single(422, 'form_param_missing', 'is missing', `${param} must be included.`, { param_name: param }),
  formParamUnknown: (param: string) =>
    single(422, 'form_param_unknown', 'is unknown', `${param} is not a valid parameter for this request.`, {
      param_name: param,
    }),
  formParamTypeInvalid: (param: string, type: string) =>
    single(422, 'form_param_type_invalid', 'is invalid', `\`${param}\` must be a \`${type}\`.`, { param_name: param }),
  formParamValueInvalid: (param: string, longMessage = `${param} is invalid`) =>
    single(422, 'form_param_value_invalid', 'is invalid', longMessage, { param_name: param }),
  formParamFormatInvalid: (param: string, longMessage: string) =>
    single(422, 'form_param_format_invalid', 'is invalid', longMessage, { param_name: param }),
  formInvalidEmailAddress: (param: string) =>
    single(422, 'form_param_format_invalid', 'is invalid', `${param} must be a valid email address.`, {
      param_name: param,
    }),
  formParamDuplicate: (param: string) =>
    single(422, 'form_param_duplicate', 'is duplicate', `${param} included multiple times. There should only be one.`, {
      param_name: param,
    }),
  formIdentifierExists: (param: string) =>
    single(422, 'form_identifier_exists', `That ${human(param)} is taken. Please try another.`, undefined, {
      param_name: param,
    }),
  duplicateInvitations: (emails: string[]) =>
    single(
      400,
      'duplicate_record',
      emails.length > 1 ? 'duplicate invitations' : 'duplicate invitation',
      `There are already pending invitations for the following email addresses: ${emails.join(', ')}`,
      { email_addresses: emails },
    ),
  invitationAlreadyAccepted: () =>
    single(400, 'invitation_already_accepted', 'Invitation is already accepted, try signing in instead.'),
  invitationAlreadyRevoked: () => single(400, 'invitation_already_revoked', 'Invitation is already revoked.'),
  // Organization errors: codes, statuses and wording of Clerk's 2024 `apierror/organizations.go`.
  organizationRoleNotFound: (param: string) =>
    single(404, 'resource_not_found', 'not found', 'Organization role not found', { param_name: param }),
  notAMemberInOrganization: () =>
    single(
      403,
      'not_a_member_in_organization',
      'not a member',
      'Current user is not a member of the organization. Only organization members can perform this action.',
    ),
  missingOrganizationPermission: (permissions: string[]) =>
    single(
      403,
      'missing_organization_permission',
      'missing permission',
      'Current user is missing an organization permission.',
      { permissions },
    ),
  organizationMembershipQuotaExceeded: (max: number) =>
    single(
      403,
      'organization_membership_quota_exceeded',
      'organization membership quota exceeded',
      `You have reached your limit of ${max} organization memberships, including outstanding invitations.`,
    ),
  alreadyAMemberInOrganization: (userId: string) =>
    single(
      400,
      'already_a_member_in_organization',
      'already a member',
      `User ${userId} is already a member of the organization.`,
    ),
  organizationInvitationNotUnique: () =>
    single(
      400,
      'organization_invitation_not_unique',
      'organization invitation not unique',
      'Organizations cannot have duplicate pending invitations for an email address.',
    ),
  organizationInvitationNotPending: () =>
    single(
      404,
      'organization_invitation_not_pending',
      'not pending',
      'The organization invitation is not in the "pending" status.',
    ),
  tooManyRequests: (retryAfterSeconds: number) => {
    const error = single(429, 'too_many_requests', 'Too many requests', 'Too many requests, retry later');
    return new ClerkApiError(429, error.errors, { 'Retry-After': String(retryAfterSeconds) });
  },
  internal: () =>
    single(
      500,
      'internal_clerk_error',
      'Oops, an unexpected error occurred',
      "There was an internal error on our servers. We've been notified and are working on fixing it.",
    ),
};
