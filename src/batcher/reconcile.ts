import type { UpstreamFailureInfo } from '../clerk/classify.ts';
import type { Upstream } from '../clerk/upstream.ts';
import { scrub } from '../logger.ts';
import type { DispatchObserver, Pending, Results, Round } from './dispatcher.ts';
import { outcomeUnknown } from './outcomes.ts';
import { emailKey } from '../invitations/validate-item.ts';
import type { InvitationParams, InvitationRecord } from '../invitations/types.ts';

/**
 * Clocks of Clerk and the gateway disagree a little; an invitation created this long before we sent
 * the call still counts as ours. Anything older existed before the call and is somebody else's.
 */
export const CLOCK_SKEW_MS = 5_000;

export type Lookup =
  | { found: true; invitation: InvitationRecord }
  | { found: false }
  /** The list endpoint failed too: the outcome stays unknown. */
  | { found: null; reason: string };

/**
 * Looks an address up with the list endpoint, which spends the general request allowance, not the
 * hourly invitation one. Only a pending invitation created since `sentAt` counts as the call's.
 */
export async function lookUp(upstream: Upstream, params: InvitationParams, sentAt: number): Promise<Lookup> {
  try {
    const key = emailKey(params.emailAddress);
    const page = await upstream.list({ query: params.emailAddress, status: 'pending', limit: 100, offset: 0 });
    const ours = page.data.find((inv) => emailKey(inv.emailAddress) === key && inv.createdAt >= sentAt - CLOCK_SKEW_MS);
    return ours ? { found: true, invitation: ours } : { found: false };
  } catch (error) {
    return { found: null, reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Whether sending an item again after an unknown outcome and a lookup that found nothing can make a
 * second invitation. With `ignoreExisting` off, Clerk itself refuses a second pending invitation. With it
 * on, only a call that is known to have finished (an answer came back, or the socket closed) is safe:
 * after a timeout the first call may still be running at Clerk.
 */
export function safeToResend(params: InvitationParams, callFinished: boolean): boolean {
  return params.ignoreExisting !== true || callFinished;
}

type Unknown = Extract<UpstreamFailureInfo, { kind: 'unknown' }>;

/** What reconciliation needs of the dispatcher that made the call. */
export interface ReconcileHost {
  upstream: Upstream;
  upstreamTimeoutMs: number;
  /** Whether a wait of `waitMs` still leaves a whole upstream call before the round's deadline. */
  fits(waitMs: number, round: Round): boolean;
  sleep(ms: number): Promise<void>;
  /** Sends items again through the dispatcher's channels and budget. */
  resend(pending: Pending[], results: Results, round: Round): Promise<void>;
  observer?: DispatchObserver;
}

/**
 * The call may have created some invitations. Look each address up; report what exists as created,
 * resend what provably does not (when a resend cannot double-send), and call the rest unknown.
 */
export async function reconcile(host: ReconcileHost, pending: Pending[], results: Results, info: Unknown, sentAt: number, round: Round): Promise<void> {
  const unknown = (p: Pending, why = '') =>
    (results[p.index] = outcomeUnknown(p.params.emailAddress, { message: `${scrub(info.message)}${why}`, traceId: info.traceId }));
  if (!host.fits(0, round)) return pending.forEach((p) => unknown(p, '; no time was left to look it up'));
  const finished = info.answered === true;
  const lookups = await Promise.all(pending.map((p) => lookUp(host.upstream, p.params, sentAt)));
  if (!finished) await lookAgain(host, pending, lookups, sentAt, round);
  const resend: Pending[] = [];
  pending.forEach((p, i) => {
    const found = lookups[i]!;
    if (found.found === true) results[p.index] = { kind: 'created', invitation: found.invitation };
    else if (found.found === false && !round.resending && safeToResend(p.params, finished)) resend.push(p);
    else unknown(p, found.found === null ? '; looking it up failed too' : '');
  });
  if (resend.length > 0) await resendUnfound(host, resend, results, info, finished, sentAt, round);
  const found = lookups.filter((l) => l.found === true).length;
  host.observer?.reconciled?.(found, resend.length, pending.length - found - resend.length);
}

async function resendUnfound(host: ReconcileHost, resend: Pending[], results: Results, info: Unknown, finished: boolean, sentAt: number, round: Round) {
  await host.resend(resend, results, { ...round, resending: true });
  for (const p of resend) {
    const r = results[p.index];
    if (r?.kind !== 'failed') continue;
    // The resend never left, but the first call may still land: only Clerk's answer made it final.
    if (!finished && r.retryable && (r.code === 'RATE_LIMITED' || r.code === 'UPSTREAM_ERROR')) {
      results[p.index] = outcomeUnknown(p.params.emailAddress, { message: scrub(info.message), traceId: info.traceId });
    }
    // Refused as a duplicate: either the first call landed after all, a moment after the lookup, or
    // the address had an older invitation. Only a second lookup tells which.
    if (r.code !== 'ALREADY_INVITED') continue;
    const again = await lookUp(host.upstream, p.params, sentAt);
    if (again.found === true) results[p.index] = { kind: 'created', invitation: again.invitation };
    if (again.found === null) {
      const message = `${scrub(info.message)}; a resend found an invitation, and looking it up failed too`;
      results[p.index] = outcomeUnknown(p.params.emailAddress, { message, traceId: info.traceId });
    }
  }
}

/**
 * A call Clerk did not answer may still be running there, so a lookup right away can miss an
 * invitation that lands a moment later. Items that cannot be resent safely get one more lookup after
 * one more upstream timeout, when the deadline allows.
 */
async function lookAgain(host: ReconcileHost, pending: Pending[], lookups: Lookup[], sentAt: number, round: Round) {
  const unsettled = pending.map((_, i) => i).filter((i) => lookups[i]!.found === false && !safeToResend(pending[i]!.params, false));
  if (unsettled.length === 0 || !host.fits(host.upstreamTimeoutMs, round)) return;
  await host.sleep(host.upstreamTimeoutMs);
  await Promise.all(unsettled.map(async (i) => (lookups[i] = await lookUp(host.upstream, pending[i]!.params, sentAt))));
}
