import { emailKey } from './csv-rows.ts';
import type { FoundInvitation, GatewayClient } from './gateway-client.ts';
import type { StateEntry } from './state-store.ts';
import type { ValidRow } from './types.ts';

/**
 * The gateway answers within REQUEST_TIMEOUT_MS (30 s by default) and stops sending by then. Until
 * this long after a request left, a lookup that finds nothing proves nothing: it may still create.
 */
export const REQUEST_SETTLED_MS = 2 * 60_000;
/** The tool's clock and Clerk's may disagree; an invitation this much older than the request still counts. */
export const CLOCK_SKEW_MS = 10 * 60_000;

export type UnknownCheck =
  | { kind: 'created'; invitationId: string }
  /** Nothing was created: the row can be sent like any other. */
  | { kind: 'absent' }
  | { kind: 'unchecked'; reason: string };

/** Decides one row from the invitations the gateway listed for its address. */
export function judgeLookup(entry: StateEntry, emailAddress: string, found: readonly FoundInvitation[], now: number): UnknownCheck {
  const sentAt = Date.parse(entry.sentAt ?? entry.updatedAt);
  const key = emailKey(emailAddress);
  // Newest first, so the first match is the latest invitation for the address.
  const ours = found.find((inv) => emailKey(inv.emailAddress) === key && Date.parse(inv.createdAt) >= sentAt - CLOCK_SKEW_MS);
  if (ours) return { kind: 'created', invitationId: ours.id };
  if (now - sentAt < REQUEST_SETTLED_MS) {
    return { kind: 'unchecked', reason: 'the earlier request may still be running; rerun in a few minutes to check again' };
  }
  return { kind: 'absent' };
}

/**
 * Looks up each row an earlier run left with an unknown outcome, one invitations query per row, in
 * order. A failed lookup leaves the row unknown rather than guessing.
 */
export async function checkUnknownRows(
  rows: readonly ValidRow[],
  state: { get(key: string): StateEntry | undefined },
  client: Pick<GatewayClient, 'findInvitations'>,
  now: () => number,
): Promise<Map<string, UnknownCheck>> {
  const checks = new Map<string, UnknownCheck>();
  for (const row of rows) {
    const entry = state.get(row.key);
    if (!entry) continue;
    const lookup = await client.findInvitations(row.input.emailAddress);
    checks.set(row.key, lookup.ok ? judgeLookup(entry, row.input.emailAddress, lookup.invitations, now()) : { kind: 'unchecked', reason: `the lookup failed (${lookup.reason})` });
  }
  return checks;
}

export const FOUND_AFTER_UNKNOWN = 'created by an earlier run whose answer was lost; found with the invitations query';

export interface AppliedChecks {
  found: number;
  absent: number;
  /** Why the rest stay unknown, by row key. */
  notes: Map<string, string>;
}

/** Records what the lookups showed: found rows become CREATED, absent ones are forgotten so they are sent again. */
export function applyUnknownChecks(
  rows: readonly ValidRow[],
  checks: ReadonlyMap<string, UnknownCheck>,
  state: { get(key: string): StateEntry | undefined; set(key: string, entry: Omit<StateEntry, 'updatedAt'>): void; restore(key: string, previous: undefined): void },
): AppliedChecks {
  const applied: AppliedChecks = { found: 0, absent: 0, notes: new Map() };
  for (const row of rows) {
    const check = checks.get(row.key);
    const entry = state.get(row.key);
    if (!check || !entry) continue;
    if (check.kind === 'created') {
      state.set(row.key, { line: row.line, fingerprint: entry.fingerprint, outcome: 'CREATED', invitationId: check.invitationId, message: FOUND_AFTER_UNKNOWN, retryable: false });
      applied.found += 1;
    } else if (check.kind === 'absent') {
      state.restore(row.key, undefined);
      applied.absent += 1;
    } else applied.notes.set(row.key, check.reason);
  }
  return applied;
}
