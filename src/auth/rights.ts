import type { Caller } from './caller.ts';
import { ForbiddenError, UnauthenticatedError } from '../errors.ts';

/** Who may invite (INVITER_ROLES, INVITER_PERMISSIONS, INVITER_MACHINES); any match grants. */
export interface InviterPolicy {
  roles: readonly string[];
  permissions: readonly string[];
  machines: readonly string[];
  /**
   * INVITER_ORGS: where roles and permissions count. Invitations are instance-wide, so without this an
   * admin of any organization (one a user just created, say) may invite; empty means exactly that.
   */
  orgs?: readonly string[];
}

export function userMayInvite(
  org: { id?: string | null; role: string | null; permissions: readonly string[] },
  policy: InviterPolicy,
): boolean {
  if (policy.orgs?.length && !(org.id && policy.orgs.includes(org.id))) return false;
  return (org.role !== null && policy.roles.includes(org.role)) || org.permissions.some((p) => policy.permissions.includes(p));
}

export const machineMayInvite = (machineId: string, policy: InviterPolicy): boolean => policy.machines.includes(machineId);

/** The error for a caller that lacks the `inviter` scope. */
export function notAllowed(caller: Caller): Error {
  if (caller.kind === 'anonymous') return new UnauthenticatedError();
  const what =
    caller.kind === 'user'
      ? 'Your session needs an inviter role or permission in its active organization.'
      : 'This machine is not listed in INVITER_MACHINES.';
  return new ForbiddenError(`You are signed in but not allowed to invite people or manage invitations. ${what}`);
}

/** Who may act on an organization's invitations (ORG_INVITER_ROLES, ORG_INVITER_PERMISSIONS); any match grants. */
export interface OrganizationInviterPolicy {
  roles: readonly string[];
  permissions: readonly string[];
}

/**
 * A Clerk session acts only on its active organization, with an inviter role or permission there;
 * a gateway API key (an internal tool) acts on any organization. Machines and everyone else do not.
 */
export function assertMayActInOrganization(caller: Caller, organizationId: string, policy: OrganizationInviterPolicy): void {
  if (caller.kind === 'anonymous') throw new UnauthenticatedError();
  if (caller.kind === 'apikey') return;
  if (caller.kind !== 'user') throw new ForbiddenError('Organization invitations are for Clerk sessions and gateway API keys.');
  const org = caller.org;
  if (!org?.id) throw new ForbiddenError('Your session has no active organization; set one before inviting teammates.');
  if (org.id !== organizationId) {
    throw new ForbiddenError(`organizationId: your session acts for its active organization ${org.id}, not ${organizationId}.`);
  }
  const granted = (org.role !== null && policy.roles.includes(org.role)) || org.permissions.some((p) => policy.permissions.includes(p));
  if (!granted) throw new ForbiddenError('Your role in this organization may not invite or manage its invitations.');
}
