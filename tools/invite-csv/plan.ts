import type { StateEntry } from './state-store.ts';
import type { ResultRow, ValidRow } from './types.ts';

export interface PlannedRow extends ValidRow {
  /**
   * Resent after an unknown outcome, with ignoreExisting forced off so Clerk refuses a second pending
   * invitation if the earlier attempt did create one.
   */
  recheck: boolean;
}

export interface Plan {
  /** Rows to send in this run, in file order. */
  send: PlannedRow[];
  /** Valid rows left for a later run by --limit. */
  later: ValidRow[];
  /** Rows whose outcome an earlier run settled: not sent again. */
  settled: ResultRow[];
  /** Rows an earlier run may have created; reported, and sent only with --retry-unknown. */
  unknown: ValidRow[];
}

export interface PlanOptions {
  retryUnknown: boolean;
  /** Why a row's unknown outcome could not be settled by a lookup, for its result message. */
  unknownNotes?: ReadonlyMap<string, string>;
  /** Send at most this many rows. */
  limit?: number;
}

const isUnknown = (entry: StateEntry) => entry.outcome === 'OUTCOME_UNKNOWN' || entry.outcome === 'SENDING';

export const UNKNOWN_NOT_RESENT =
  'not resent: an earlier run may have created this invitation. Check it in Clerk, then rerun with --retry-unknown ' +
  '(it resends with ignoreExisting off, so Clerk refuses a second invitation)';

/**
 * Decides what a run sends, given what earlier runs recorded. Created rows are never sent again. A row
 * whose earlier failure cannot change (non-retryable) is kept unless it was edited since. Unknown
 * outcomes are never resent silently.
 */
/**
 * Records that a row was left unsent, unless the state already says more: an unknown outcome must stay
 * unknown (it decides how the row is resent), and a created or final row is not a row to send.
 */
export function markNotSent(state: { get(key: string): StateEntry | undefined; set(key: string, entry: Omit<StateEntry, 'updatedAt'>): void }, row: ValidRow, message: string): void {
  const entry = state.get(row.key);
  if (entry && !(entry.outcome === 'NOT_SENT' || (entry.retryable && entry.outcome !== 'OUTCOME_UNKNOWN'))) return;
  state.set(row.key, { line: row.line, fingerprint: row.fingerprint, outcome: 'NOT_SENT', message, retryable: true });
}

export function planRun(valid: readonly ValidRow[], state: { get(key: string): StateEntry | undefined }, options: PlanOptions): Plan {
  const plan: Plan = { send: [], later: [], settled: [], unknown: [] };
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const result = (row: ValidRow, entry: StateEntry, message: string): ResultRow => ({
    line: row.line,
    emailAddress: row.input.emailAddress,
    outcome: entry.outcome === 'SENDING' ? 'OUTCOME_UNKNOWN' : entry.outcome,
    invitationId: entry.invitationId ?? '',
    message,
  });
  for (const row of valid) {
    const entry = state.get(row.key);
    let recheck = false;
    if (entry?.outcome === 'CREATED') {
      plan.settled.push(result(row, entry, entry.message ?? 'created in an earlier run'));
      continue;
    }
    if (entry && isUnknown(entry)) {
      if (!options.retryUnknown) {
        plan.unknown.push(row);
        const note = options.unknownNotes?.get(row.key);
        plan.settled.push(result(row, entry, note ? `${UNKNOWN_NOT_RESENT}; ${note}` : UNKNOWN_NOT_RESENT));
        continue;
      }
      recheck = true;
    } else if (entry && entry.outcome !== 'NOT_SENT' && !entry.retryable && entry.fingerprint === row.fingerprint) {
      plan.settled.push(result(row, entry, `${entry.message ?? ''} (earlier run; the row is unchanged, so it was not resent)`.trim()));
      continue;
    }
    if (plan.send.length >= limit) {
      plan.later.push(row);
      continue;
    }
    const input = recheck ? { ...row.input, ignoreExisting: false } : row.input;
    plan.send.push({ ...row, input, recheck });
  }
  return plan;
}
