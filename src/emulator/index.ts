/**
 * A local emulator of Clerk's Backend API invitation endpoints, faithful to Clerk's OpenAPI spec and
 * driven by the real `@clerk/backend` client through `createClerkClient({ secretKey, apiUrl: emulator.url })`.
 * See README.md in this folder for behaviour, documented choices, faults and control routes.
 */
export { startEmulator } from './emulator.ts';
export { parseEmulatorEnv, type EmulatorEnvConfig } from './env-config.ts';
export { FAULT_KINDS, FAULT_ROUTES, ROUTE_KINDS } from './faults.ts';
export type {
  OrgDuplicateInvitation,
  OrgLimitScope,
  SeededMembership,
  SeededOrganization,
  SeedOrganization,
  StoredOrgInvitation,
  WireOrgInvitation,
  WirePublicInviterData,
} from './organization-types.ts';
export { generateSecretKey } from './ids.ts';
export type { SessionTokenOptions } from './session-keys.ts';
export { loadVendoredSpec, vendoredSpecPath } from './spec-validator.ts';
export type {
  ActiveFaultRule,
  Emulator,
  CallRecord,
  EmulatorLimits,
  EmulatorOptions,
  FaultController,
  FaultKind,
  FaultRoute,
  FaultRule,
  InvitationStatus,
  MalformedBodyVariant,
  RouteKind,
  SeededUser,
  SeedInvitation,
  StoredInvitation,
  WireInvitation,
} from './types.ts';
