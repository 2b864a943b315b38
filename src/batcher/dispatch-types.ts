import type { BudgetDecision, Channel } from '../budget/types.ts';
import type { UpstreamFailureInfo } from '../clerk/classify.ts';
import type { InvitationOutcome, InvitationParams } from '../invitations/types.ts';

/** An item of the batch with its position, so results land in the caller's slot. */
export interface Pending {
  index: number;
  params: InvitationParams;
}

export type Results = (InvitationOutcome | undefined)[];

export interface Round {
  /** Epoch ms by which every item must have its answer. */
  deadline: number;
  /** Set while resending after an unknown outcome: a second unknown is not resent again. */
  resending: boolean;
  /** Clerk's user list was already asked about these items; splitting them does not ask again. */
  usersChecked?: boolean;
  /** The requests the items came from, carried to every call made for them (logs). */
  requestIds?: readonly string[] | undefined;
  /** The channel these items fell back from, and why: a refusal names whichever channel frees up first. */
  fellBackFrom?: { channel: Channel; decision: Extract<BudgetDecision, { ok: false }> };
}

/**
 * A create call whose outcome is unknown, as a value handed from the dispatcher to reconciliation:
 * what was sent, when it left (local epoch ms), and how it ended.
 */
export interface UnknownCall {
  items: readonly Pending[];
  sentAt: number;
  /** Clerk itself answered (its envelope or body trace id), so nothing more of the call can land. */
  finished: boolean;
  /** Clerk's clock when it answered (its Date header), when it did. */
  answeredAt?: number;
  message: string;
  traceId?: string;
}

export type UpstreamCallEvent = {
  channel: Channel;
  items: number;
  result: 'ok' | UpstreamFailureInfo['kind'];
  ms: number;
  status?: number;
  traceId?: string;
  /** The requests whose items the call carried, for the log line. */
  requestIds?: readonly string[];
};

export type BudgetRefusedEvent = { channel: Channel; reason: string; retryAfterMs: number };

export type ReconciledEvent = { found: number; resent: number; unknown: number };

/** Hooks for metrics and logs; the dispatcher itself neither counts nor logs. */
export interface DispatchObserver {
  upstreamCall?(event: UpstreamCallEvent): void;
  budgetRefused?(event: BudgetRefusedEvent): void;
  reconciled?(event: ReconciledEvent): void;
}
