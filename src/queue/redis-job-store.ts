import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { InvitationOutcome } from '../invitations/types.ts';
import { RedisScript } from '../redis.ts';
import { JOB_RETENTION_MS, type JobPage, type JobStore } from './job-store.ts';
import { cancelledOutcome } from './outcomes.ts';
import { familyKey, parseFamily } from './family-key.ts';
import type { ClaimedItem, JobMeta, NewJob, OrphanedItem, ResultEdge, Settled } from './types.ts';

/**
 * Keys of one job: `job` (a hash of counters and state), `items` (a list of the submitted items, read a
 * page at a time), `results` (a hash index → outcome JSON), `inflight` (a hash index → `mark|claimedAt`)
 * and `retry` (a list of indices given back unsent). Owners have a sorted set of their job ids and the
 * family a hash of pending items per owner. Items are never all read at once.
 */
const keysOf = (prefix: string, id: string) => {
  const base = `${prefix}job:${id}`;
  return { job: base, items: `${base}:items`, results: `${base}:results`, inflight: `${base}:inflight`, retry: `${base}:retry` };
};

// Shared Lua: after counters moved, a job with nothing pending is finished; its keys then expire.
const FINISH_IF_EMPTY = `
local function finish_if_empty(job, owners_jobs, owner, now, retention, others)
  if tonumber(redis.call('HGET', job, 'pending')) > 0 or redis.call('HGET', job, 'finishedAt') ~= '' then return end
  if redis.call('HGET', job, 'state') ~= 'CANCELLED' then redis.call('HSET', job, 'state', 'DONE') end
  redis.call('HSET', job, 'finishedAt', now)
  redis.call('HINCRBY', owners_jobs, owner, -1)
  for _, k in ipairs(others) do redis.call('PEXPIRE', k, retention) end
end`;

/** KEYS: staged items, staged results, job, items, results, owner index, family pending, owners' jobs, pending total. */
const COMMIT = new RedisScript(`
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 0
end
redis.call('RENAME', KEYS[1], KEYS[4])
redis.call('PERSIST', KEYS[4])
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[2], KEYS[5])
  redis.call('PERSIST', KEYS[5])
end
local total, failed = tonumber(ARGV[5]), tonumber(ARGV[6])
local pending = total - failed
redis.call('HSET', KEYS[3], 'id', ARGV[1], 'owner', ARGV[2], 'family', ARGV[3], 'fingerprint', ARGV[4],
  'total', total, 'created', 0, 'failed', failed, 'pending', pending, 'next', 0,
  'state', pending > 0 and 'QUEUED' or 'DONE', 'createdAt', ARGV[7], 'finishedAt', pending > 0 and '' or ARGV[7])
redis.call('ZADD', KEYS[6], ARGV[7], ARGV[1])
redis.call('HINCRBY', KEYS[7], ARGV[2], pending)
redis.call('INCRBY', KEYS[9], pending)
if pending > 0 then redis.call('HINCRBY', KEYS[8], ARGV[2], 1) end
return 1`);

/** KEYS: job, items, results, inflight, retry. ARGV: n, mark, now. Returns index, item pairs. */
const CLAIM = new RedisScript(`
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'QUEUED' and state ~= 'RUNNING' then return {} end
if state == 'QUEUED' then redis.call('HSET', KEYS[1], 'state', 'RUNNING') end
local n, value = tonumber(ARGV[1]), ARGV[2] .. '|' .. ARGV[3]
local out = {}
local function take(idx)
  if redis.call('HEXISTS', KEYS[3], idx) == 1 or redis.call('HEXISTS', KEYS[4], idx) == 1 then return end
  redis.call('HSET', KEYS[4], idx, value)
  out[#out + 1] = idx
  out[#out + 1] = redis.call('LINDEX', KEYS[2], tonumber(idx))
end
while #out < 2 * n do
  local idx = redis.call('LPOP', KEYS[5])
  if not idx then break end
  take(idx)
end
local total, nxt = tonumber(redis.call('HGET', KEYS[1], 'total')), tonumber(redis.call('HGET', KEYS[1], 'next'))
while #out < 2 * n and nxt < total do
  take(tostring(nxt))
  nxt = nxt + 1
end
redis.call('HSET', KEYS[1], 'next', nxt)
return out`);

/**
 * KEYS: job, results, inflight, family pending, owners' jobs, items, retry, pending total. ARGV: mark, now, retention,
 * then index, outcome JSON, 'c' | 'f' | 'r' (r: give back unsent) per item. Returns accepted count.
 */
const SETTLE = new RedisScript(`${FINISH_IF_EMPTY}
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then return 0 end
local cancelled = redis.call('HGET', KEYS[1], 'state') == 'CANCELLED'
local accepted = 0
for i = 4, #ARGV, 3 do
  local idx, kind = ARGV[i], ARGV[i + 2]
  local mark = redis.call('HGET', KEYS[3], idx)
  if mark and string.sub(mark, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then
    redis.call('HDEL', KEYS[3], idx)
    accepted = accepted + 1
    if kind == 'r' and not cancelled then
      redis.call('RPUSH', KEYS[7], idx)
    else
      redis.call('HSET', KEYS[2], idx, ARGV[i + 1])
      redis.call('HINCRBY', KEYS[1], kind == 'c' and 'created' or 'failed', 1)
      redis.call('HINCRBY', KEYS[1], 'pending', -1)
      redis.call('HINCRBY', KEYS[4], owner, -1)
      redis.call('DECR', KEYS[8])
    end
  end
end
finish_if_empty(KEYS[1], KEYS[5], owner, ARGV[2], ARGV[3], {KEYS[1], KEYS[2], KEYS[3], KEYS[6], KEYS[7]})
return accepted`);

/** KEYS: inflight. ARGV: new mark, then index, old value pairs. Returns the indices taken over. */
const ADOPT = new RedisScript(`
local out = {}
for i = 2, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    local claimedAt = string.match(ARGV[i + 1], '|([^|]*)$')
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[1] .. '|' .. claimedAt)
    out[#out + 1] = ARGV[i]
  end
end
return out`);

/**
 * KEYS: job, results, inflight, family pending, owners' jobs, items, retry, pending total. ARGV: now, retention.
 * Pending items that are not in flight become CANCELLED at once in the counters; their results are
 * read as CANCELLED (not written one by one, so cancelling 10,000 items is one cheap step).
 */
const CANCEL = new RedisScript(`${FINISH_IF_EMPTY}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 0 end
if state == 'DONE' or state == 'CANCELLED' then return 1 end
local owner = redis.call('HGET', KEYS[1], 'owner')
local waiting = tonumber(redis.call('HGET', KEYS[1], 'pending')) - redis.call('HLEN', KEYS[3])
redis.call('HSET', KEYS[1], 'state', 'CANCELLED')
redis.call('HINCRBY', KEYS[1], 'failed', waiting)
redis.call('HINCRBY', KEYS[1], 'pending', -waiting)
redis.call('HINCRBY', KEYS[4], owner, -waiting)
redis.call('DECRBY', KEYS[8], waiting)
redis.call('DEL', KEYS[7])
finish_if_empty(KEYS[1], KEYS[5], owner, ARGV[1], ARGV[2], {KEYS[1], KEYS[2], KEYS[3], KEYS[6], KEYS[7]})
return 1`);

const STAGE_CHUNK = 500;

export class RedisJobStore implements JobStore {
  /** `prefix` names the queue of one Clerk instance, e.g. `cig:queue:{hash}:`. */
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private ownerKey = (owner: string) => `${this.prefix}owner:${owner}`;
  private pendingKey = (family: string) => `${this.prefix}pending:${family}`;
  private readonly ownersJobsKey = () => `${this.prefix}owners-jobs`;
  private readonly pendingTotalKey = () => `${this.prefix}pending-total`;

  /** The KEYS of SETTLE and CANCEL: a job's own keys and the counters its items move. */
  private movingKeys(k: ReturnType<typeof keysOf>, meta: JobMeta): string[] {
    return [k.job, k.results, k.inflight, this.pendingKey(familyKey(meta.family)), this.ownersJobsKey(), k.items, k.retry, this.pendingTotalKey()];
  }

  /** Items are staged under a key of their own and renamed into place by one script, so a job appears whole or not at all. */
  async create(job: NewJob) {
    const k = keysOf(this.prefix, job.id);
    const existing = await this.meta(job.id);
    if (existing) return { created: false, meta: existing };
    const staged = `${k.job}:staged:${randomUUID()}`;
    const pipe = this.redis.pipeline();
    for (let i = 0; i < job.items.length; i += STAGE_CHUNK) {
      pipe.rpush(`${staged}:items`, ...job.items.slice(i, i + STAGE_CHUNK).map((item) => JSON.stringify(item)));
    }
    if (job.settled.size > 0) pipe.hset(`${staged}:results`, ...[...job.settled].flatMap(([index, outcome]) => [String(index), JSON.stringify(outcome)]));
    // A replica that dies here leaves only staged keys, which expire.
    pipe.pexpire(`${staged}:items`, 3_600_000).pexpire(`${staged}:results`, 3_600_000);
    await pipe.exec();
    const committed = await COMMIT.run(
      this.redis,
      [`${staged}:items`, `${staged}:results`, k.job, k.items, k.results, this.ownerKey(job.owner), this.pendingKey(familyKey(job.family)), this.ownersJobsKey(), this.pendingTotalKey()],
      [job.id, job.owner, JSON.stringify(job.family), job.fingerprint, job.items.length, job.settled.size, job.createdAt],
    );
    const meta = await this.meta(job.id);
    if (!meta) throw new Error(`job ${job.id} vanished right after it was stored`);
    return { created: committed === 1, meta };
  }

  async meta(id: string): Promise<JobMeta | undefined> {
    const h = await this.redis.hgetall(keysOf(this.prefix, id).job);
    return h['owner'] ? toMeta(h) : undefined;
  }

  async list(owner: string, offset: number, first: number): Promise<JobPage> {
    const ids = await this.redis.zrevrange(this.ownerKey(owner), offset, offset + first);
    const metas = await Promise.all(ids.slice(0, first).map((id) => this.meta(id)));
    const gone = ids.slice(0, first).filter((_, i) => !metas[i]);
    // Expired jobs leave their id behind in the owner's index; it goes when seen.
    if (gone.length > 0) await this.redis.zrem(this.ownerKey(owner), ...gone);
    return { jobs: metas.filter((m): m is JobMeta => m !== undefined), hasNextPage: ids.length > first };
  }

  async results(id: string, offset: number, first: number): Promise<ResultEdge[]> {
    const k = keysOf(this.prefix, id);
    const indices = Array.from({ length: first }, (_, i) => String(offset + i));
    if (indices.length === 0) return [];
    const [items, results, inflight, state] = await Promise.all([
      this.redis.lrange(k.items, offset, offset + first - 1),
      this.redis.hmget(k.results, ...indices),
      this.redis.hmget(k.inflight, ...indices),
      this.redis.hget(k.job, 'state'),
    ]);
    return items.map((raw, i) => {
      const item = JSON.parse(raw) as { emailAddress: string };
      const stored = results[i];
      const result = stored ? (JSON.parse(stored) as InvitationOutcome) : state === 'CANCELLED' && !inflight[i] ? cancelledOutcome(item.emailAddress) : null;
      return { index: offset + i, emailAddress: item.emailAddress, result };
    });
  }

  async claim(id: string, n: number, mark: string, now: number): Promise<ClaimedItem[]> {
    const k = keysOf(this.prefix, id);
    const flat = (await CLAIM.run(this.redis, [k.job, k.items, k.results, k.inflight, k.retry], [n, mark, now])) as string[];
    const out: ClaimedItem[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const item = JSON.parse(flat[i + 1]!) as { params: ClaimedItem['params'] };
      out.push({ jobId: id, index: Number(flat[i]), params: item.params, claimedAt: now });
    }
    return out;
  }

  async settle(id: string, outcomes: Array<{ index: number; outcome: InvitationOutcome }>, mark: string, now: number): Promise<Settled> {
    const args = outcomes.flatMap(({ index, outcome }) => [String(index), JSON.stringify(outcome), outcome.kind === 'created' ? 'c' : 'f']);
    return this.runSettle(id, mark, now, args);
  }

  async giveBack(id: string, items: Array<{ index: number; emailAddress: string }>, mark: string, now: number): Promise<Settled> {
    const args = items.flatMap(({ index, emailAddress }) => [String(index), JSON.stringify(cancelledOutcome(emailAddress)), 'r']);
    return this.runSettle(id, mark, now, args);
  }

  private async runSettle(id: string, mark: string, now: number, args: string[]): Promise<Settled> {
    const k = keysOf(this.prefix, id);
    const meta = await this.meta(id);
    if (!meta) return { accepted: false, meta: undefined };
    const keys = this.movingKeys(k, meta);
    const accepted = (await SETTLE.run(this.redis, keys, [mark, now, JOB_RETENTION_MS, ...args])) as number;
    return { accepted: accepted > 0, meta: await this.meta(id) };
  }

  async orphans(id: string, mark: string): Promise<OrphanedItem[]> {
    const k = keysOf(this.prefix, id);
    const marks = Object.entries(await this.redis.hgetall(k.inflight)).filter(([, value]) => !value.startsWith(`${mark}|`));
    if (marks.length === 0) return [];
    const raws = await Promise.all(marks.map(([index]) => this.redis.lindex(k.items, Number(index))));
    return marks.map(([index, value], i) => {
      const item = JSON.parse(raws[i]!) as { params: ClaimedItem['params'] };
      return { jobId: id, index: Number(index), params: item.params, claimedAt: Number(value.slice(value.lastIndexOf('|') + 1)), mark: value };
    });
  }

  async holding(id: string, indexes: number[], mark: string): Promise<number[]> {
    if (indexes.length === 0) return [];
    const values = await this.redis.hmget(keysOf(this.prefix, id).inflight, ...indexes.map(String));
    return indexes.filter((_, i) => values[i]?.startsWith(`${mark}|`));
  }

  async adopt(id: string, orphans: OrphanedItem[], mark: string): Promise<OrphanedItem[]> {
    if (orphans.length === 0) return [];
    const taken = (await ADOPT.run(this.redis, [keysOf(this.prefix, id).inflight], [mark, ...orphans.flatMap((o) => [String(o.index), o.mark])])) as string[];
    const set = new Set(taken.map(Number));
    return orphans.filter((o) => set.has(o.index));
  }

  async cancel(id: string, now: number) {
    const meta = await this.meta(id);
    if (!meta) return undefined;
    const k = keysOf(this.prefix, id);
    const keys = this.movingKeys(k, meta);
    await CANCEL.run(this.redis, keys, [now, JOB_RETENTION_MS]);
    return this.meta(id);
  }

  async pendingByOwner(family: string) {
    const h = await this.redis.hgetall(this.pendingKey(family));
    return new Map(Object.entries(h).map(([owner, n]) => [owner, Number(n)] as const).filter(([, n]) => n > 0));
  }

  async pendingTotal() {
    // A queue stored before the total was kept starts it at 0 and may take it below.
    return Math.max(0, Number((await this.redis.get(this.pendingTotalKey())) ?? 0));
  }

  async unfinishedJobs(owner: string) {
    return Number((await this.redis.hget(this.ownersJobsKey(), owner)) ?? 0);
  }

  async close() {}
}

function toMeta(h: Record<string, string>): JobMeta {
  return {
    id: h['id']!,
    owner: h['owner']!,
    family: parseFamily(h['family']!),
    state: h['state'] as JobMeta['state'],
    total: Number(h['total']),
    createdCount: Number(h['created']),
    failedCount: Number(h['failed']),
    pendingCount: Number(h['pending']),
    createdAt: Number(h['createdAt']),
    finishedAt: h['finishedAt'] ? Number(h['finishedAt']) : null,
    fingerprint: h['fingerprint']!,
  };
}
