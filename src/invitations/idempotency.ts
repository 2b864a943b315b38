import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { BadUserInputError, GatewayError, ServiceUnavailableError } from '../errors.ts';
import { familyOfCall, type Family } from '../batcher/families.ts';
import { fingerprintable, type InvitationInput } from './validate-item.ts';

/** A retry with the same key within this time gets the first answer instead of inviting again. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const POLL_MS = 100;
/**
 * A live request always answers within its time plus the batcher's 1 s backstop; a claim still
 * running this long after that belonged to a replica that died, and a retry may take it over.
 */
const STALE_AFTER_MS = 5_000;

/** `startedAt`/`staleAt` are epoch ms; claims written before they existed lack them and just expire. */
export type Running = { state: 'running'; fingerprint: string; startedAt?: number; staleAt?: number };
type Entry = Running | { state: 'done'; fingerprint: string; answer: string };

/** Where first answers are kept: in memory for one process, in Redis for replicas. */
export interface IdempotencyStore {
  /**
   * Claims `key` when nobody has; otherwise returns what is there. Atomic across replicas. A claim is
   * kept as long as an answer would be: a replica that dies mid-request leaves it behind, stale, so
   * the retry knows an attempt was cut off and when it started.
   */
  claim(key: string, running: Running): Promise<Entry | undefined>;
  /** Replaces `stale` with `fresh` if `stale` is still what is stored; true when this caller won. */
  takeOver(key: string, stale: Running, fresh: Running): Promise<boolean>;
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
  async claim(key: string, running: Running) {
    const entry = this.lookup(key);
    if (entry) return entry;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { ...running, expiresAt: this.now() + IDEMPOTENCY_TTL_MS });
    return undefined;
  }

  async takeOver(key: string, stale: Running, fresh: Running) {
    const entry = this.lookup(key);
    if (entry?.state !== 'running' || entry.startedAt !== stale.startedAt) return false;
    this.entries.set(key, { ...fresh, expiresAt: this.now() + IDEMPOTENCY_TTL_MS });
    return true;
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

/** Compare-and-set: only one retry takes over a stale claim, however many replicas try at once. */
const TAKE_OVER = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(private readonly redis: Redis, private readonly prefix = 'cig:idem:') {}

  async peek(key: string) {
    const raw = await this.redis.get(this.prefix + key);
    return raw ? this.parse(raw) : undefined;
  }

  /** What each entry read looked like on the wire, so a takeover can compare exactly. */
  private readonly raw = new WeakMap<object, string>();

  private parse(raw: string): Entry {
    const entry = JSON.parse(raw) as Entry;
    this.raw.set(entry, raw);
    return entry;
  }

  async claim(key: string, running: Running) {
    const set = await this.redis.set(this.prefix + key, JSON.stringify(running), 'PX', IDEMPOTENCY_TTL_MS, 'NX');
    if (set === 'OK') return undefined;
    const raw = await this.redis.get(this.prefix + key);
    // Expired between the two commands: treat as running, the poll will see it gone and claim it.
    return raw ? this.parse(raw) : { state: 'running' as const, fingerprint: running.fingerprint };
  }

  async takeOver(key: string, stale: Running, fresh: Running) {
    const expected = this.raw.get(stale) ?? JSON.stringify(stale);
    const won = await this.redis.eval(TAKE_OVER, 1, this.prefix + key, expected, JSON.stringify(fresh), String(IDEMPOTENCY_TTL_MS));
    return won === 1;
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

/** The fingerprint of one createInvitations list; metadata past the depth cap never reaches the hash. */
export const invitationsFingerprint = (inputs: readonly InvitationInput[]) => fingerprintOf(fingerprintable(inputs));

export interface IdempotentRun<T> {
  store: IdempotencyStore;
  /** Keys are per caller: one caller's key never returns another caller's answer. */
  scope: string;
  key: string;
  fingerprint: string;
  /** How long a retry waits for the first request to finish before answering 409. */
  waitMs: number;
  run: () => Promise<T>;
  /**
   * Answers for an attempt that was cut off (its replica died): `startedAt` is when it began. It must
   * settle by looking up, never by sending blind, since the attempt may have created invitations.
   */
  recover: (startedAt: number) => Promise<T>;
}

export async function runIdempotent<T>({ store, scope, key, fingerprint, waitMs, run, recover }: IdempotentRun<T>): Promise<T> {
  if (!KEY_PATTERN.test(key)) {
    throw new BadUserInputError('idempotencyKey: must be 1 to 255 printable ASCII characters without spaces.', { field: 'idempotencyKey' });
  }
  const id = `${scope}:${key}`;
  const giveUpAt = Date.now() + waitMs;
  let cutOffAt: number | undefined;
  for (;;) {
    const startedAt = Date.now();
    const mine: Running = { state: 'running', fingerprint, startedAt, staleAt: startedAt + waitMs + STALE_AFTER_MS };
    const entry = await store.claim(id, mine).catch(() => {
      throw new ServiceUnavailableError('The idempotency store is unreachable, so nothing was sent. Retry shortly.', 2);
    });
    if (!entry) break;
    if (entry.fingerprint !== fingerprint) {
      throw new BadUserInputError('idempotencyKey: already used for a different list of invitations.', { field: 'idempotencyKey' });
    }
    if (entry.state === 'done') return JSON.parse(entry.answer) as T;
    if (entry.startedAt !== undefined && entry.staleAt !== undefined && Date.now() >= entry.staleAt) {
      if (await store.takeOver(id, entry, mine).catch(() => false)) {
        cutOffAt = entry.startedAt;
        break;
      }
      continue;
    }
    if (Date.now() >= giveUpAt) throw new IdempotencyConflictError();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  let answer: T;
  try {
    answer = cutOffAt === undefined ? await run() : await recover(cutOffAt);
  } catch (error) {
    await store.release(id).catch(() => {});
    throw error;
  }
  await store.complete(id, fingerprint, JSON.stringify(answer)).catch(() => {});
  return answer;
}

/** Whether this call would be answered from a stored answer; such a replay spends no limit. */
export async function isReplay(store: IdempotencyStore, scope: string, key: string | null | undefined, inputs: readonly InvitationInput[]): Promise<boolean> {
  // Most calls carry no key: they must not pay for hashing their input.
  if (!key || !KEY_PATTERN.test(key)) return false;
  const entry = await store.peek(`${scope}:${key}`).catch(() => undefined);
  return entry?.state === 'done' && entry.fingerprint === invitationsFingerprint(inputs);
}

/** Keys are per caller, and per organization for its invitations: one key never answers for another list. */
export const idempotencyScope = (callerId: string, family: Family) =>
  family.kind === 'instance' ? callerId : `${callerId}:org:${family.organizationId}`;

/**
 * For the caller limit: a create call that will be answered from a stored answer invites nobody, so
 * it spends none of the caller's limit. Keys come from the argument or the header.
 */
export function exemptReplays(store: IdempotencyStore) {
  return (coordinate: string, args: Record<string, unknown>, context: { caller: { id: string }; idempotencyKey?: string }) => {
    const family = familyOfCall(coordinate, args, { instance: 'Mutation.createInvitations', organization: 'Mutation.createOrganizationInvitations' });
    if (!family) return false;
    const key = (args['idempotencyKey'] as string | null) ?? context.idempotencyKey;
    // Most calls carry no key: they are answered at once, without a promise.
    if (!key) return false;
    return isReplay(store, idempotencyScope(context.caller.id, family), key, args['invitations'] as InvitationInput[]);
  };
}
