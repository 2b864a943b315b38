import type { InvitationErrorCode, InvitationInput } from '../../client/generated/graphql.js';

/**
 * A row's outcome as the result CSV and the state file spell it: the gateway's codes, CREATED, and
 * NOT_SENT for a row this run did not get to (a row limit, an interruption), QUEUED (result CSV only)
 * for a row in a job the gateway has not finished. Not PENDING: that is
 * Clerk's status of a created invitation, the opposite of what these rows are.
 */
export type OutcomeCode = 'CREATED' | 'NOT_SENT' | 'QUEUED' | InvitationErrorCode;

/** One valid CSV row, ready to send. */
export interface ValidRow {
  /** Line in the input file where the row starts (the header is line 1). */
  line: number;
  /** Lower-cased address: the state file's key, since Clerk treats spellings of an address as one. */
  key: string;
  input: InvitationInput;
  /** Hash of `input`, so a rerun can tell an edited row from the one it sent before. */
  fingerprint: string;
}

/** One line of the result CSV. */
export interface ResultRow {
  line: number;
  emailAddress: string;
  outcome: OutcomeCode;
  invitationId: string;
  message: string;
}
