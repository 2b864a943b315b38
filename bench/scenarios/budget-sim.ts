import { createClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { batchWindowMs, MAX_BULK_ITEMS } from '../../src/batcher/batcher.ts';
import type { ChannelPolicy } from '../../src/batcher/channel-policy.ts';
import { BatchDispatcher } from '../../src/batcher/dispatcher.ts';
import { MemoryBudget } from '../../src/budget/index.ts';
import { ClerkUpstream } from '../../src/clerk/upstream.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import { MinHeap } from '../support/min-heap.ts';
import { HOUR_MS, type SimClock } from '../support/sim-clock.ts';

/** Clerk's documented allowance, which the emulator enforces here: 25 bulk and 100 single calls an hour. */
export const CLERK_LIMITS = { bulkPerHour: 25, singlePerHour: 100 };
const UPSTREAM_TIMEOUT_MS = 10_000;

export interface SimSetup {
  emulator: Emulator;
  clock: SimClock;
  /** Arrival times (ms from the start) of one-invitation requests. */
  arrivals: number[];
  hours: number;
  /** Callers send a RATE_LIMITED item again after its retryAfterSeconds. */
  retry: boolean;
  windowMs: number;
  windowMaxMs: number;
  /** Invite into this organization (its own endpoints and allowance) instead of the application. */
  organizationId?: string;
}

/** Clerk's documented allowance for organization invitations: 50 bulk and 250 single calls an hour. */
export const CLERK_ORG_LIMITS = { bulkPerHour: 50, singlePerHour: 250 };

export interface SimResult {
  offered: number;
  deliveredPerHour: number[];
  bulkCallsPerHour: number[];
  singleCallsPerHour: number[];
  tooManyRequests: number;
  /** Items answered RATE_LIMITED and not retried (or answered another failure). */
  turnedAway: number;
  /** Items still waiting to be retried when the simulated time ran out. */
  backlog: number;
}

interface Arrival {
  at: number;
  email: string;
}

function tallyCalls(
  emulator: Emulator,
  start: number,
  hours: number,
  delivered: number[],
  offered: number,
  extra: Pick<SimResult, 'turnedAway' | 'backlog'>,
  prefix = '',
): SimResult {
  const perHour = (route: string) => {
    const counts = new Array<number>(hours).fill(0);
    for (const c of emulator.calls) if (c.route === route && c.status !== 429) counts[Math.min(hours - 1, Math.floor((c.time - start) / HOUR_MS))]! += 1;
    return counts;
  };
  return {
    offered,
    deliveredPerHour: delivered,
    bulkCallsPerHour: perHour(`${prefix}bulk`),
    singleCallsPerHour: perHour(`${prefix}single`),
    tooManyRequests: emulator.calls.filter((c) => c.status === 429).length,
    ...extra,
  };
}

/**
 * The gateway's dispatch path on simulated time: InvitationBatcher's window is modelled here (it opens at
 * the first item with a length set by the dispatcher's scarcity, takes what arrives before its timer,
 * and leaves at once when it holds 10), then the real BatchDispatcher, MemoryBudget and ClerkUpstream
 * send the batch to the emulator, whose clock is the same simulated one.
 */
export async function simulateGateway(policy: ChannelPolicy, setup: SimSetup): Promise<SimResult> {
  const { emulator, clock, hours } = setup;
  emulator.reset();
  const start = clock.now();
  const end = start + hours * HOUR_MS;
  if (setup.organizationId) emulator.seedOrganization({ id: setup.organizationId, name: 'Bench' });
  const limits = setup.organizationId ? CLERK_ORG_LIMITS : CLERK_LIMITS;
  const budget = new MemoryBudget({ ...limits, clock, marginMs: UPSTREAM_TIMEOUT_MS });
  const clerkUpstream = new ClerkUpstream({ secretKey: emulator.secretKeys[0]!, apiUrl: emulator.url, timeoutMs: UPSTREAM_TIMEOUT_MS });
  const dispatcher = new BatchDispatcher({
    upstream: setup.organizationId ? clerkUpstream.forOrganization(setup.organizationId) : clerkUpstream,
    budget,
    policy,
    ...limits,
    upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS,
    now: () => clock.now(),
    // A pause after a 429 would wait; on simulated time that wait is just a jump of the clock.
    sleep: async (ms) => clock.advance(ms),
  });
  const queue = new MinHeap<Arrival>();
  setup.arrivals.forEach((t, i) => queue.push({ at: start + t, email: `${policy}-${i}@example.com` }));
  const delivered = new Array<number>(hours).fill(0);
  let turnedAway = 0;
  while (queue.size > 0 && queue.peek()!.at < end) {
    const first = queue.pop()!;
    clock.set(first.at);
    const closesAt = first.at + batchWindowMs(setup.windowMs, setup.windowMaxMs, policy === 'single' ? 0 : dispatcher.scarcity());
    const batch = [first];
    while (batch.length < MAX_BULK_ITEMS && queue.size > 0 && queue.peek()!.at < closesAt) batch.push(queue.pop()!);
    const sentAt = batch.length === MAX_BULK_ITEMS ? batch.at(-1)!.at : closesAt;
    clock.set(sentAt);
    const role = setup.organizationId ? { role: 'org:member' } : {};
    const outcomes = await dispatcher.send(batch.map((a) => ({ emailAddress: a.email, ...role })));
    outcomes.forEach((outcome, i) => {
      if (outcome.kind === 'created') delivered[Math.min(hours - 1, Math.floor((sentAt - start) / HOUR_MS))]! += 1;
      else if (setup.retry && outcome.code === 'RATE_LIMITED' && outcome.retryAfterSeconds) {
        queue.push({ at: sentAt + outcome.retryAfterSeconds * 1000, email: batch[i]!.email });
      } else turnedAway += 1;
    });
  }
  clock.set(end);
  return tallyCalls(emulator, start, hours, delivered, setup.arrivals.length, { turnedAway, backlog: queue.size }, setup.organizationId ? 'org-' : '');
}

/** One `createInvitationBulk` per request, straight through @clerk/backend, as the naive resolver does. */
export async function simulateNaive(setup: SimSetup): Promise<SimResult> {
  const { emulator, clock, hours } = setup;
  emulator.reset();
  const start = clock.now();
  const clerk = createClerkClient({ secretKey: emulator.secretKeys[0]!, apiUrl: emulator.url });
  const delivered = new Array<number>(hours).fill(0);
  let turnedAway = 0;
  const groups = new Map<number, number[]>();
  setup.arrivals.forEach((t, i) => groups.set(t, [...(groups.get(t) ?? []), i]));
  for (const [t, ids] of [...groups].sort((a, b) => a[0] - b[0])) {
    clock.set(start + t);
    await Promise.all(
      ids.map(async (i) => {
        try {
          await clerk.invitations.createInvitationBulk([{ emailAddress: `naive-${i}@example.com` }]);
          delivered[Math.min(hours - 1, Math.floor(t / HOUR_MS))]! += 1;
        } catch (error) {
          if (!isClerkAPIResponseError(error)) throw error;
          turnedAway += 1;
        }
      }),
    );
  }
  clock.set(start + hours * HOUR_MS);
  return tallyCalls(emulator, start, hours, delivered, setup.arrivals.length, { turnedAway, backlog: 0 });
}
