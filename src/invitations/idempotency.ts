import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { BadUserInputError, GatewayError, ServiceUnavailableError } from '../errors.ts';

/** A retry with the same key within this time gets the first answer instead of inviting again. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const POLL_MS = 100;
/** A claim outlives the request it guards by this much, then frees itself. */
const RUNNING_GRACE_MS = 60_000;

type Entry = { state: 'running'; fingerprint: string } | { state: 'done'; fingerprint: string; answer: string };

/** Where first answers are kept: in memory for one process, in Redis for replicas. */
export interface IdempotencyStore {
  /**
   * Claims `key` when nobody has; otherwise returns what is there. Atomic across replicas. A claim
   * lasts `runningTtlMs`, so a replica that dies mid-request does not block the key for a day.
   */
  claim(key: string, fingerprint: string, runningTtlMs: number): Promise<Entry | undefined>;
  /** What is stored under `key`, without claiming it. */
  peek(key: string): Promise<Entry | undefined>;
  complete(key: string, fingerprint: string, answer: string): Promise<void>;
  /** Frees a claim whose request failed as a whole, so a retry can run. */
  release(key: string): Promise<void>;
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  // Map keeps insertion order, so the oldest entries are first to expire and to evict.
  private readonly entries = new Map<string, Entry & { expiresAt: number }>();

  constructor(private readonly maxEntries = 100_000, private readonly now = Date.now) {}

  // Check and claim run without an await in between, so concurrent claims cannot both win.
  async claim(key: string, fingerprint: string, runningTtlMs: number) {
    const entry = this.lookup(key);
    if (entry) return entry;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { state: 'running', fingerprint, expiresAt: this.now() + runningTtlMs });
    return undefined;
  }

  async peek(key: string) {
    return this.lookup(key);
  }

  private lookup(key: string) {
    this.sweep();
    const entry = this.entries.get(key);
    return entry && entry.expiresAt > this.now() ? entry : undefined;
  }

  async complete(key: string, fingerprint: string, answer: string) {
    this.entries.delete(key);
    this.entries.set(key, { state: 'done', fingerprint, answer, expiresAt: this.now() + IDEMPOTENCY_TTL_MS });
  }

  async release(key: string) {
    this.entries.delete(key);
  }

  private sweep() {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > this.now()) break;
      this.entries.delete(key);
    }
  }
}

export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(private readonly redis: Redis, private readonly prefix = 'cig:idem:') {}

  async peek(key: string) {
    const raw = await this.redis.get(this.prefix + key);
    return raw ? (JSON.parse(raw) as Entry) : undefined;
  }

  async claim(key: string, fingerprint: string, runningTtlMs: number) {
    const running: Entry = { state: 'running', fingerprint };
    const set = await this.redis.set(this.prefix + key, JSON.stringify(running), 'PX', runningTtlMs, 'NX');
    if (set === 'OK') return undefined;
    const raw = await this.redis.get(this.prefix + key);
    // Expired between the two commands: treat as running, the poll will see it gone and claim it.
    return raw ? (JSON.parse(raw) as Entry) : running;
  }

  async complete(key: string, fingerprint: string, answer: string) {
    const done: Entry = { state: 'done', fingerprint, answer };
    await this.redis.set(this.prefix + key, JSON.stringify(done), 'PX', IDEMPOTENCY_TTL_MS);
  }

  async release(key: string) {
    await this.redis.del(this.prefix + key);
  }
}

export class IdempotencyConflictError extends GatewayError {
  constructor() {
    super('A request with this idempotency key is still running; retry when it has answered.', { code: 'IDEMPOTENCY_CONFLICT', status: 409 });
  }
}

/** Same key, same caller, same invitations: a retry. Same key with other invitations: a client bug. */
export const fingerprintOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

export interface IdempotentRun<T> {
  store: IdempotencyStore;
  /** Keys are per caller: one caller's key never returns another caller's answer. */
  scope: string;
  key: string;
  fingerprint: string;
  /** How long a retry waits for the first request to finish before answering 409. */
  waitMs: number;
  run: () => Promise<T>;
}

export async function runIdempotent<T>({ store, scope, key, fingerprint, waitMs, run }: IdempotentRun<T>): Promise<T> {
  if (!KEY_PATTERN.test(key)) {
    throw new BadUserInputError('idempotencyKey: must be 1 to 255 printable ASCII characters without spaces.', { field: 'idempotencyKey' });
  }
  const id = `${scope}:${key}`;
  const giveUpAt = Date.now() + waitMs;
  for (;;) {
    const entry = await store.claim(id, fingerprint, waitMs + RUNNING_GRACE_MS).catch(() => {
      throw new ServiceUnavailableError('The idempotency store is unreachable, so nothing was sent. Retry shortly.', 2);
    });
    if (!entry) break;
    if (entry.fingerprint !== fingerprint) {
      throw new BadUserInputError('idempotencyKey: already used for a different list of invitations.', { field: 'idempotencyKey' });
    }
    if (entry.state === 'done') return JSON.parse(entry.answer) as T;
    if (Date.now() >= giveUpAt) throw new IdempotencyConflictError();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  let answer: T;
  try {
    answer = await run();
  } catch (error) {
    await store.release(id).catch(() => {});
    throw error;
  }
  await store.complete(id, fingerprint, JSON.stringify(answer)).catch(() => {});
  return answer;
}

/** Whether this call would be answered from a stored answer; such a replay spends no limit. */
export async function isReplay(store: IdempotencyStore, scope: string, key: string | null | undefined, input: unknown): Promise<boolean> {
  // Most calls carry no key: they must not pay for hashing their input.
  if (!key || !KEY_PATTERN.test(key)) return false;
  const entry = await store.peek(`${scope}:${key}`).catch(() => undefined);
  return entry?.state === 'done' && entry.fingerprint === fingerprintOf(input);
}
