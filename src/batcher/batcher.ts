import { AsyncLocalStorage } from 'node:async_hooks';
import DataLoader from 'dataloader';
import { emailKey } from '../invitations/validate-item.ts';
import { failed, type InvitationOutcome, type InvitationParams } from '../invitations/types.ts';

/** Clerk's bulk endpoint takes at most 10 invitations per call. */
export const MAX_BULK_ITEMS = 10;

/** The requests whose items a batch carries, for the logs of the Clerk calls made for it. */
export const batchRequests = new AsyncLocalStorage<{ requestIds: string[]; callerIds: string[] }>();

/** The backstop fires this long after an item's deadline, so the dispatcher's own answer wins. */
const BACKSTOP_GRACE_MS = 1_000;

export interface BatchKey {
  params: InvitationParams;
  /** Who asked, for logs; items of different callers share batches. */
  callerId: string;
  requestId: string;
  /** Epoch ms by which the caller needs an answer; default: now plus the batcher's request timeout. */
  deadline?: number;
}

export interface BatcherOptions {
  /** Sends one batch; resolves one outcome per item, in order, and never rejects. */
  send: (items: InvitationParams[], deadline: number) => Promise<InvitationOutcome[]>;
  /** How long an item may take from load() to its answer, all retries included. */
  requestTimeoutMs: number;
  /** How long the first item of a batch waits for company when the budget is plentiful. */
  windowMs: number;
  /** The longest wait, reached as the bulk allowance runs out, so scarce calls go out fuller. */
  windowMaxMs: number;
  /** 0..1: how scarce the bulk allowance is now; read when a batch opens. */
  scarcity: () => number;
  /** Items waiting for a batch or in flight; past this, new items fail fast. */
  maxPending: number;
  onBatch?: (size: number, waitMs: number) => void;
}

interface OpenBatch {
  size: number;
  fire: () => void;
}

/**
 * One long-lived DataLoader for all requests, so calls from different requests and callers share
 * bulk calls. `cache: false` because a mutation must run every time it is asked for.
 */
export class InvitationBatcher {
  private readonly loader: DataLoader<BatchKey, InvitationOutcome>;
  private open: OpenBatch | undefined;
  private pendingCount = 0;
  private readonly inFlight = new Set<Promise<unknown>>();

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

  load(key: BatchKey): Promise<InvitationOutcome> {
    if (this.pendingCount >= this.options.maxPending) {
      return Promise.resolve(
        failed(key.params.emailAddress, 'RATE_LIMITED', 'The gateway queue is full; nothing was sent. Retry shortly.', {
          retryable: true,
          retryAfterSeconds: 1,
        }),
      );
    }
    this.pendingCount++;
    const deadline = key.deadline ?? Date.now() + this.options.requestTimeoutMs;
    const result = this.loader.load({ ...key, deadline });
    // load() joins the open batch or opens one (calling schedule) synchronously, so `open` is this
    // key's batch. A full batch leaves at once instead of waiting out its window.
    const batch = this.open;
    if (batch && ++batch.size >= MAX_BULK_ITEMS) batch.fire();
    return this.answerBy(result, key, deadline).finally(() => {
      this.pendingCount--;
    });
  }

  /**
   * The dispatcher already stops starting calls that could end past the deadline; this is the backstop
   * that guarantees an answer even if something below hangs. The item may have been sent, so it is unknown.
   */
  private answerBy(result: Promise<InvitationOutcome>, key: BatchKey, deadline: number): Promise<InvitationOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<InvitationOutcome>((resolve) => {
      timer = setTimeout(
        () => resolve(failed(key.params.emailAddress, 'OUTCOME_UNKNOWN', 'The gateway gave up waiting for this item; it may have been sent. Check with the invitations query before retrying.')),
        Math.max(0, deadline - Date.now()) + BACKSTOP_GRACE_MS,
      );
    });
    return Promise.race([result, late]).finally(() => clearTimeout(timer));
  }

  private hurry = false;

  /** Sends the open batch now, and every later one without waiting for company (shutdown). */
  flush(): void {
    this.hurry = true;
    this.open?.fire();
  }

  /** Resolves when every batch sent so far has its answer. */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * DataLoader calls this once per new batch, at its first key. The window is measured from that key,
   * so no item waits longer than the window; a timer (not the microtask queue) is what lets items from
   * other HTTP requests, which arrive in later I/O callbacks, join.
   */
  private schedule(dispatch: () => void): void {
    const openedAt = performance.now();
    const scarcity = Math.min(1, Math.max(0, this.options.scarcity()));
    const windowMs = this.hurry ? 0 : this.options.windowMs + (this.options.windowMaxMs - this.options.windowMs) * scarcity;
    const batch: OpenBatch = {
      size: 0,
      fire: () => {
        clearTimeout(timer);
        if (this.open === batch) this.open = undefined;
        // fire() can be reached by the timer and by the tenth key; DataLoader must dispatch only once.
        batch.fire = () => {};
        this.options.onBatch?.(batch.size, performance.now() - openedAt);
        dispatch();
      },
    };
    const timer = setTimeout(() => batch.fire(), windowMs);
    this.open = batch;
  }

  /** DataLoader's contract: one value per key, in order, and the promise never rejects. */
  private async runBatch(keys: readonly BatchKey[]): Promise<InvitationOutcome[]> {
    const work = this.sendDistinct(keys);
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  /**
   * Concurrent requests may ask for the same address; one body must not carry it twice. The first
   * asker's item is sent; a later one is told it was already invited, or shares the first one's failure.
   */
  private async sendDistinct(keys: readonly BatchKey[]): Promise<InvitationOutcome[]> {
    const firstOf = new Map<string, number>();
    const distinct: InvitationParams[] = [];
    const deadline = Math.min(...keys.map((k) => k.deadline ?? Infinity));
    const slot = keys.map((key) => {
      const address = emailKey(key.params.emailAddress);
      let at = firstOf.get(address);
      if (at === undefined) {
        at = distinct.push(key.params) - 1;
        firstOf.set(address, at);
        return { at, first: true };
      }
      return { at, first: false };
    });
    let outcomes: InvitationOutcome[];
    try {
      const tags = { requestIds: unique(keys.map((k) => k.requestId)), callerIds: unique(keys.map((k) => k.callerId)) };
      outcomes = await batchRequests.run(tags, () => this.options.send(distinct, deadline));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcomes = distinct.map((p) =>
        failed(p.emailAddress, 'OUTCOME_UNKNOWN', `The batch failed unexpectedly (${message}); check before retrying.`),
      );
    }
    return keys.map((key, i) => {
      const { at, first } = slot[i]!;
      const outcome = outcomes[at]!;
      if (first) return outcome;
      if (outcome.kind === 'failed') return { ...outcome, emailAddress: key.params.emailAddress };
      return failed(key.params.emailAddress, 'ALREADY_INVITED', 'A concurrent request invited this address a moment ago.');
    });
  }
}

const unique = (values: string[]) => [...new Set(values)];
