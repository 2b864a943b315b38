import { ClerkClock } from '../clerk/clerk-clock.ts';
import type { Upstream } from '../clerk/upstream.ts';
import { failed, type InvitationParams, type InvitationRecord } from '../invitations/types.ts';
import { scrub } from '../logger.ts';
import type { DispatchObserver, Pending, Results, Round, UnknownCall } from './dispatch-types.ts';
import { judge, type CallWindow, type KnownInvitations, type Verdict } from './evidence.ts';
import { outcomeUnknown } from './outcomes.ts';

export type Lookup = Verdict | { kind: 'failed'; reason: string };

/** What reconciliation needs of the dispatcher that made the call. */
export interface ReconcileHost {
  upstream: Upstream;
  upstreamTimeoutMs: number;
  known: KnownInvitations;
  /** Whether a wait of `waitMs` still leaves a whole upstream call before the round's deadline. */
  fits(waitMs: number, round: Round): boolean;
  sleep(ms: number): Promise<void>;
  /** Sends items again through the dispatcher's channels and budget. */
  resend(pending: Pending[], results: Results, round: Round): Promise<void>;
  observer?: DispatchObserver;
}

/** Stand-ins without a clock of their own share the gateway's. */
const sharedClock = new ClerkClock();

/** The most Clerk's list returns in one page. */
const PAGE = 500;

/**
 * Looks the items of one call up, judging what it finds. Every status but revoked is asked for: an
 * invitation the call made may already be accepted or expired by the time we look. One page of the
 * newest invitations settles the whole call with one request of Clerk's general allowance when it
 * reaches back past the moment the call left; otherwise each address is asked for on its own.
 */
export async function lookUpAll(host: ReconcileHost, items: readonly Pending[], call: CallWindow): Promise<Lookup[]> {
  const clock = host.upstream.clock ?? sharedClock;
  if (items.length > 1) {
    try {
      const page = await host.upstream.list({ orderBy: '-created_at', limit: PAGE, offset: 0, purpose: 'reconcile' });
      const oldest = page.data.at(-1);
      const covers = page.data.length < PAGE || (oldest !== undefined && oldest.createdAt < clock.toClerk(call.sentAt).earliest);
      if (covers) return items.map((p) => judge(p.params, page.data, call, clock, host.known));
    } catch {
      // One lookup per address below, each failing or not on its own.
    }
  }
  return Promise.all(items.map((p) => lookUp(host, p.params, call)));
}

/** Looks one address up with the list endpoint (the general request allowance, not the hourly one). */
export async function lookUp(host: ReconcileHost, params: InvitationParams, call: CallWindow): Promise<Lookup> {
  try {
    const page = await host.upstream.list({ query: params.emailAddress, limit: 100, offset: 0, purpose: 'reconcile' });
    return judge(params, page.data, call, host.upstream.clock ?? sharedClock, host.known);
  } catch (error) {
    return { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Whether sending an item again after an unknown outcome and a lookup that found nothing can make a
 * second invitation. With `ignoreExisting` off, Clerk itself refuses a second pending invitation. With it
 * on, only a call that is known to have finished (Clerk itself answered) is safe: after a timeout or an
 * edge page the first call may still be running at Clerk.
 */
export function safeToResend(params: InvitationParams, callFinished: boolean): boolean {
  return params.ignoreExisting !== true || callFinished;
}

const windowOf = (call: UnknownCall): CallWindow => ({ sentAt: call.sentAt, answeredAt: call.answeredAt });

/**
 * The call may have created some invitations. Look each address up; report what is provably the
 * call's as created, refuse what another invitation blocks, resend what provably does not exist (when
 * a resend cannot double-send), and call the rest unknown.
 */
export async function reconcile(host: ReconcileHost, call: UnknownCall, results: Results, round: Round): Promise<void> {
  const unknown = (p: Pending, why = '') =>
    (results[p.index] = outcomeUnknown(p.params.emailAddress, { message: `${scrub(call.message)}${why}`, traceId: call.traceId }));
  if (!host.fits(0, round)) return call.items.forEach((p) => unknown(p, '; no time was left to look it up'));
  const lookups = await lookUpAll(host, call.items, windowOf(call));
  if (!call.finished) await lookAgain(host, call, lookups, round);
  const resend: Pending[] = [];
  call.items.forEach((p, i) => {
    const found = lookups[i]!;
    if (found.kind === 'ours') {
      host.known.add(found.invitation.id);
      results[p.index] = { kind: 'created', invitation: found.invitation };
    } else if (found.kind === 'failed') unknown(p, '; looking it up failed too');
    else if (found.kind === 'ambiguous') unknown(p, `; ${found.why}`);
    else if (blocks(p.params, found.others)) results[p.index] = blockedBy(p.params.emailAddress, call.traceId);
    else if (!round.resending && safeToResend(p.params, call.finished)) resend.push(p);
    else unknown(p);
  });
  if (resend.length > 0) await resendUnfound(host, resend, results, call, round);
  const found = lookups.filter((l) => l.kind === 'ours').length;
  host.observer?.reconciled?.({ found, resent: resend.length, unknown: call.items.length - found - resend.length });
}

/** Clerk refuses a new invitation while another is pending for the address, unless told to ignore it. */
const blocks = (params: InvitationParams, others: InvitationRecord[]) =>
  params.ignoreExisting !== true && others.some((inv) => inv.status === 'pending');

const blockedBy = (email: string, traceId?: string) =>
  failed(email, 'ALREADY_INVITED', 'The address already has a pending invitation that this request did not create.', {
    clerkTraceId: traceId,
  });

async function resendUnfound(host: ReconcileHost, resend: Pending[], results: Results, call: UnknownCall, round: Round) {
  await host.resend(resend, results, { ...round, resending: true });
  for (const p of resend) {
    const r = results[p.index];
    if (r?.kind === 'created') host.known.add(r.invitation.id);
    if (r?.kind !== 'failed') continue;
    // The resend never left, but the first call may still land: only Clerk's answer made it final.
    if (!call.finished && r.retryable && (r.code === 'RATE_LIMITED' || r.code === 'UPSTREAM_ERROR')) {
      results[p.index] = outcomeUnknown(p.params.emailAddress, { message: scrub(call.message), traceId: call.traceId });
    }
    // Refused as a duplicate: either the first call landed after all, a moment after the lookup, or
    // another invitation appeared meanwhile. Only a second lookup tells which.
    if (r.code !== 'ALREADY_INVITED') continue;
    const again = await lookUp(host, p.params, { sentAt: call.sentAt });
    if (again.kind === 'ours') {
      host.known.add(again.invitation.id);
      results[p.index] = { kind: 'created', invitation: again.invitation };
    } else if (again.kind !== 'absent') {
      const why = again.kind === 'failed' ? 'looking it up failed too' : again.why;
      results[p.index] = outcomeUnknown(p.params.emailAddress, { message: `${scrub(call.message)}; a resend was refused as a duplicate, and ${why}`, traceId: call.traceId });
    }
  }
}

/**
 * A call Clerk did not answer may still be running there, so a lookup right away can miss an
 * invitation that lands a moment later, or see only someone else's. Items found absent or with one
 * fit get one more lookup after one more upstream timeout, when the deadline allows, before anything
 * is resent or claimed.
 */
async function lookAgain(host: ReconcileHost, call: UnknownCall, lookups: Lookup[], round: Round) {
  // One fit is not proof either while the call may still land: an identical invitation from another
  // client can be the one seen now, with the call's own arriving a moment later.
  const unsettled = call.items.map((_, i) => i).filter((i) => lookups[i]!.kind === 'absent' || lookups[i]!.kind === 'ours');
  if (unsettled.length === 0 || !host.fits(host.upstreamTimeoutMs, round)) return;
  await host.sleep(host.upstreamTimeoutMs);
  const again = await lookUpAll(host, unsettled.map((i) => call.items[i]!), windowOf(call));
  unsettled.forEach((i, j) => (lookups[i] = again[j]!));
}
