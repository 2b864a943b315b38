/**
 * The `extensions.code` values a top-level GraphQL error from the gateway can carry. Per-item
 * invitation failures are data (`InvitationFailed.code`, typed by the generated InvitationErrorCode).
 * Mirrors the server's list (src/errors.ts); a test fails when the two differ.
 */
export const GATEWAY_ERROR_CODES = [
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'CSRF_BLOCKED',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'IDEMPOTENCY_CONFLICT',
  'NOT_FOUND',
  'INVITATION_NOT_REVOCABLE',
  'UPSTREAM_ERROR',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  'REQUEST_ENTITY_TOO_LARGE',
  'INTERNAL_SERVER_ERROR',
] as const;

export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

/** Codes worth retrying as they are, after `extensions.retryAfterSeconds` when it is given. */
export const RETRYABLE_ERROR_CODES = ['RATE_LIMITED', 'SERVICE_UNAVAILABLE', 'IDEMPOTENCY_CONFLICT'] as const satisfies readonly GatewayErrorCode[];

/** Narrows an unknown `extensions.code` (from any client library) to the gateway's codes. */
export function gatewayErrorCode(error: { extensions?: Record<string, unknown> | null }): GatewayErrorCode | undefined {
  const code = error.extensions?.code;
  return (GATEWAY_ERROR_CODES as readonly unknown[]).includes(code) ? (code as GatewayErrorCode) : undefined;
}
