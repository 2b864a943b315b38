import DataLoader from 'dataloader';
import { emailKey } from '../invitations/validate-item.ts';
import { failed, type InvitationOutcome, type InvitationParams } from '../invitations/types.ts';
import { Backstop } from './backstop.ts';
import { BatchWindow } from './batch-window.ts';
import { noTimeLeft } from './outcomes.ts';
import { scrub } from '../logger.ts';
import { currentSpanContext, inBatchSpan } from '../telemetry/tracing.ts';
import type { SpanContext } from '@opentelemetry/api';

/** Clerk's bulk endpoint takes at most 10 invitations per call. */
export const MAX_BULK_ITEMS = 10;

/**
 * How long a batch waits for company: the base window while the budget is plentiful, growing towards
 * the cap as calls get scarce (0..1), so scarce calls go out fuller.
 */
export const batchWindowMs = (windowMs: number, windowMaxMs: number, scarcity: number) =>
  windowMs + (windowMaxMs - windowMs) * Math.min(1, Math.max(0, scarcity));

/** The cap of the window: an item must still have time for its call and one more (isolation, a resend). */
export const batchWindowCapMs = (t: { batchWindowMs: number; batchWindowMaxMs: number; requestTimeoutMs: number; upstreamTimeoutMs: number }) =>
  Math.max(t.batchWindowMs, Math.min(t.batchWindowMaxMs, t.requestTimeoutMs - 2 * t.upstreamTimeoutMs));

/**
 * The dispatcher already stops starting calls that could end past the deadline; the backstop
 * guarantees an answer even if something below hangs. It fires this long after an item's deadline, so
 * the dispatcher's own answer wins. The item may have been sent, so it is unknown.
 */
const BACKSTOP_GRACE_MS = 1_000;

const gaveUp = (email: string) =>
  failed(email, 'OUTCOME_UNKNOWN', 'The gateway gave up waiting for this item; it may have been sent. Check with the invitations query before retrying.');

export interface BatchKey {
  params: InvitationParams;
  /** Who asked, for logs; items of different callers share batches. */
  callerId: string;
  requestId: string;
  /** Epoch ms by which the caller needs an answer; default: now plus the batcher's request timeout. */
  deadline?: number;
  /** The asking operation's span, linked from the batch span; taken at load() when tracing is on. */
  span?: SpanContext | undefined;
}

/** What a batch carries besides its items: the requests they came from, for the Clerk call logs. */
export interface BatchTags {
  requestIds: readonly string[];
}

export interface BatcherOptions {
  /** Sends one batch; resolves one outcome per item, in order, and never rejects. */
  send: (items: InvitationParams[], deadline: number, tags: BatchTags) => Promise<InvitationOutcome[]>;
  /** How long an item may take from load() to its answer, all retries included. */
  requestTimeoutMs: number;
  /**
   * How long the first item of a batch waits for company when the budget is plentiful; the batch then
   * stays open while items keep joining less than this apart (a burst), up to `windowMaxMs`.
   */
  windowMs: number;
  /** The longest wait, reached as the bulk allowance runs out, so scarce calls go out fuller. */
  windowMaxMs: number;
  /** 0..1: how scarce the bulk allowance is now; read when a batch opens. */
  scarcity: () => number;
  /**
   * Whether no channel can take a call now: synchronously from what was last seen, then from the
   * budget itself. A batch that cannot be sent does not wait for company; it is refused at once.
   */
  blocked?: { known: () => boolean; check: () => Promise<boolean> };
  /** An item with less time than this left cannot wait for a call, and is answered at once. Default 0. */
  minCallMs?: number;
  /** Items waiting for a batch or in flight; past this, new items fail fast. */
  maxPending: number;
  onBatch?: (size: number, waitMs: number) => void;
}

/** Facts about an address that a concurrent asker's answer settles for a later asker too. */
const CARRIED_OVER: Record<'USER_EXISTS' | 'NOT_ALLOWED' | 'ALREADY_MEMBER', string> = {
  USER_EXISTS: 'The address belongs to an existing user.',
  NOT_ALLOWED: 'The address is not allowed in this application.',
  ALREADY_MEMBER: 'The address is already a member of the organization.',
};

/**
 * One long-lived DataLoader for all requests, so calls from different requests and callers share
 * bulk calls. `cache: false` because a mutation must run every time it is asked for.
 */
export class InvitationBatcher {
  private readonly loader: DataLoader<BatchKey, InvitationOutcome>;
  private open: BatchWindow | undefined;
  private pendingCount = 0;
  private readonly inFlight = new Map<string, Promise<InvitationOutcome>>();
  private readonly batchesInFlight = new Set<Promise<unknown>>();
  private readonly unanswered = new Set<Promise<InvitationOutcome>>();
  private readonly backstop = new Backstop<InvitationOutcome>();

  constructor(private readonly options: BatcherOptions) {
    this.loader = new DataLoader((keys) => this.runBatch(keys), {
      cache: false,
      maxBatchSize: MAX_BULK_ITEMS,
      batchScheduleFn: (dispatch) => this.schedule(dispatch),
    });
  }

  get pending(): number {
    return this.pendingCount;
  }

  /** Nothing waits, nothing is in flight, nobody waits for an answer: the batcher can be let go. */
  get idle(): boolean {
    return this.pendingCount === 0 && this.unanswered.size === 0 && this.batchesInFlight.size === 0 && this.open === undefined;
  }

  load(key: BatchKey): Promise<InvitationOutcome> {
    // The deadline is fixed when the caller first asks, and kept however long it waits behind others.
    const deadline = key.deadline ?? Date.now() + this.options.requestTimeoutMs;
    const result = this.enqueue({ ...key, deadline, span: key.span ?? currentSpanContext() });
    return this.track(this.backstop.guard(result, deadline + BACKSTOP_GRACE_MS, () => gaveUp(key.params.emailAddress)));
  }

  private enqueue(key: BatchKey & { deadline: number }): Promise<InvitationOutcome> {
    const address = emailKey(key.params.emailAddress);
    // One address is never in two batches at once: a later asker waits for the first one's answer.
    const earlier = this.inFlight.get(address);
    if (earlier) return earlier.then((first) => this.afterEarlier(first, key));
    if (key.deadline - Date.now() < (this.options.minCallMs ?? 0)) return Promise.resolve(noTimeLeft(key.params.emailAddress));
    if (this.pendingCount >= this.options.maxPending) {
      return Promise.resolve(
        failed(key.params.emailAddress, 'RATE_LIMITED', 'The gateway queue is full; nothing was sent. Retry shortly.', {
          retryable: true,
          retryAfterSeconds: 1,
        }),
      );
    }
    this.pendingCount++;
    const result = this.loader.load(key);
    // load() joins the open batch or opens one (calling schedule) synchronously, so `open` is this
    // key's batch. A full batch leaves at once instead of waiting out its window.
    const batch = this.open;
    if (batch) {
      batch.join(key.deadline);
      if (++batch.size >= MAX_BULK_ITEMS) batch.fire();
    }
    const release = () => {
      this.pendingCount--;
      if (this.inFlight.get(address) === settled) this.inFlight.delete(address);
    };
    const settled: Promise<InvitationOutcome> = result.then(
      (outcome) => {
        release();
        return outcome;
      },
      (error: unknown) => {
        release();
        return failed(key.params.emailAddress, 'OUTCOME_UNKNOWN', `The batch failed unexpectedly (${scrub(String(error))}); check before retrying.`);
      },
    );
    this.inFlight.set(address, settled);
    return settled;
  }

  /** Every answer promised and not yet given, so shutdown can wait for all of them. */
  private track(answer: Promise<InvitationOutcome>): Promise<InvitationOutcome> {
    this.unanswered.add(answer);
    const forget = () => this.unanswered.delete(answer);
    void answer.then(forget, forget);
    return answer;
  }

  /**
   * What a later asker of the same address gets. Facts about the address carry over; anything else
   * (a refusal that sent nothing, an unknown outcome) is no answer for this asker, who is sent in turn.
   * An asker with `ignoreExisting` wants another invitation on purpose, even for a user, and gets one.
   */
  private afterEarlier(first: InvitationOutcome, key: BatchKey & { deadline: number }): Promise<InvitationOutcome> {
    const email = key.params.emailAddress;
    const ignoring = key.params.ignoreExisting === true;
    if (first.kind === 'created' && !ignoring) {
      return Promise.resolve(failed(email, 'ALREADY_INVITED', 'A concurrent request invited this address a moment ago.'));
    }
    if (first.kind === 'failed' && ((first.code === 'USER_EXISTS' && !ignoring) || first.code === 'NOT_ALLOWED' || first.code === 'ALREADY_MEMBER')) {
      return Promise.resolve(failed(email, first.code, CARRIED_OVER[first.code]));
    }
    return this.enqueue(key);
  }

  private hurry = false;

  /** Sends the open batch now, and every later one without waiting for company (shutdown). */
  flush(): void {
    this.hurry = true;
    this.open?.fire();
  }

  /**
   * Sends the open batch now. For a caller that has just put in a whole call's worth and waits for
   * nobody (the queue's feeder): without it, two of its calls' worth that arrive within one window
   * would leave together, and the channel chosen for the pair is not the one chosen for each.
   */
  seal(): void {
    this.open?.fire();
  }

  /** Resolves when every item asked for so far has its answer, waiters behind the same address included. */
  async drain(): Promise<void> {
    this.flush();
    while (this.batchesInFlight.size > 0 || this.unanswered.size > 0) {
      await Promise.allSettled([...this.batchesInFlight, ...this.unanswered]);
    }
  }

  /**
   * DataLoader calls this once per new batch, at its first key. The batch waits its window from that
   * key and then as long as items keep joining less than the base window apart, up to the cap and
   * never past what its items' deadlines allow (see BatchWindow); a timer (not the microtask queue) is
   * what lets items from other HTTP requests, which arrive in later I/O callbacks, join.
   */
  private schedule(dispatch: () => void): void {
    const openedAt = performance.now();
    const blocked = this.options.blocked;
    // Shutdown, or no channel can take a call: nothing is worth waiting for.
    const noWait = this.hurry || blocked?.known();
    const windowMs = noWait ? 0 : batchWindowMs(this.options.windowMs, this.options.windowMaxMs, this.options.scarcity());
    const batch: BatchWindow = new BatchWindow(
      {
        windowMs,
        quietMs: noWait ? 0 : this.options.windowMs,
        capMs: noWait ? 0 : this.options.windowMaxMs,
        // The same room the cap keeps for a fresh item: its call and one more (isolation, a resend).
        keepMs: 2 * (this.options.minCallMs ?? 0),
      },
      // BatchWindow leaves once, whether by its timers or by the tenth key; DataLoader dispatches once.
      () => {
        if (this.open === batch) this.open = undefined;
        this.options.onBatch?.(batch.size, performance.now() - openedAt);
        dispatch();
      },
    );
    this.open = batch;
    // A fresh replica has not seen the budget yet: one look (no spending) per batch settles it.
    if (windowMs > 0 && blocked) void blocked.check().then((none) => none && batch.fire(), () => {});
  }

  /** DataLoader's contract: one value per key, in order, and the promise never rejects. */
  private async runBatch(keys: readonly BatchKey[]): Promise<InvitationOutcome[]> {
    const work = this.sendDistinct(keys);
    this.batchesInFlight.add(work);
    try {
      return await work;
    } finally {
      this.batchesInFlight.delete(work);
    }
  }

  /** Keys of one batch have distinct addresses (see load), so they go out as they are. */
  private async sendDistinct(keys: readonly BatchKey[]): Promise<InvitationOutcome[]> {
    const deadline = Math.min(...keys.map((k) => k.deadline ?? Infinity));
    const tags = { requestIds: unique(keys.map((k) => k.requestId)) };
    let outcomes: InvitationOutcome[] = [];
    let problem = 'no result was recorded';
    try {
      const traced = { parents: keys.map((k) => k.span), requestIds: tags.requestIds, items: keys.length };
      outcomes = await inBatchSpan(traced, () => this.options.send(keys.map((k) => k.params), deadline, tags));
    } catch (error) {
      problem = scrub(error instanceof Error ? error.message : String(error));
    }
    // A short answer must not make DataLoader reject every caller of the batch.
    return keys.map(
      (key, i) => outcomes[i] ?? failed(key.params.emailAddress, 'OUTCOME_UNKNOWN', `The batch failed unexpectedly (${problem}); check before retrying.`),
    );
  }
}

const unique = (values: string[]) => [...new Set(values)];
