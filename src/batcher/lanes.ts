import type { UpstreamBudget } from '../budget/types.ts';
import type { Upstream } from '../clerk/upstream.ts';
import { batchWindowCapMs, InvitationBatcher } from './batcher.ts';
import type { ChannelPolicy } from './channel-policy.ts';
import type { DispatchObserver } from './dispatch-types.ts';
import { BatchDispatcher } from './dispatcher.ts';
import type { KnownInvitations } from './evidence.ts';
import type { FamilyLane } from './families.ts';

export interface LaneSettings {
  policy: ChannelPolicy;
  /** The family's hourly calls per channel at Clerk. */
  bulkPerHour: number;
  singlePerHour: number;
  upstreamTimeoutMs: number;
  requestTimeoutMs: number;
  batchWindowMs: number;
  batchWindowMaxMs: number;
  maxPending: number;
  now?: () => number;
  observer?: DispatchObserver;
  known?: KnownInvitations;
  onBatch?: (size: number, waitMs: number) => void;
}

/** One family's batcher and dispatcher over its Clerk endpoints and its budget. */
export function createLane(upstream: Upstream, budget: UpstreamBudget, s: LaneSettings): FamilyLane {
  const dispatcher = new BatchDispatcher({
    upstream,
    budget,
    policy: s.policy,
    bulkPerHour: s.bulkPerHour,
    singlePerHour: s.singlePerHour,
    upstreamTimeoutMs: s.upstreamTimeoutMs,
    now: s.now,
    observer: s.observer,
    known: s.known,
  });
  const batcher = new InvitationBatcher({
    send: (items, deadline, tags) => dispatcher.send(items, deadline, tags.requestIds),
    requestTimeoutMs: s.requestTimeoutMs,
    windowMs: s.batchWindowMs,
    windowMaxMs: batchWindowCapMs(s),
    scarcity: () => (s.policy === 'single' ? 0 : dispatcher.scarcity()),
    blocked: { known: () => dispatcher.blockedUntil() > 0, check: () => dispatcher.checkBlocked() },
    // A later asker of a busy address still needs time for a call of its own after waiting.
    minCallMs: s.upstreamTimeoutMs,
    maxPending: s.maxPending,
    onBatch: s.onBatch,
  });
  return {
    batcher,
    recover: (items, since) => dispatcher.recover(items, since, Date.now() + s.requestTimeoutMs),
  };
}
