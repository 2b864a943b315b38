import { createClerkClient, type Invitation } from '@clerk/backend';
import { startClerkCall, type ClerkCallInfo } from '../telemetry/tracing.ts';
import type { InvitationParams, InvitationRecord } from '../invitations/types.ts';
import { emailKey } from '../invitations/validate-item.ts';
import { classifyUpstreamError, UpstreamFailure } from './classify.ts';
import { ClerkClock } from './clerk-clock.ts';
import { organizationUpstream } from './organization-upstream.ts';
import type { ListPage, ListParams, Upstream } from './upstream-types.ts';
import { CallDeadlineError, traceCall } from './transport.ts';

export type { InvitationStatusFilter, ListPage, ListParams, Upstream } from './upstream-types.ts';

export interface ClerkUpstreamOptions {
  secretKey: string;
  apiUrl: string;
  /** Every call is abandoned after this long; a create abandoned this way has an unknown outcome. */
  timeoutMs: number;
  clock?: ClerkClock;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The SDK hands back whatever it parsed; a proxy or a broken deploy can answer 200 with HTML, which
 * arrives as a string. Anything that is not an invitation is treated as an unknown outcome.
 */
export function toRecord(value: unknown): InvitationRecord {
  const inv = value as Partial<Invitation> & { raw?: Record<string, unknown> | null };
  if (!isObject(inv) || typeof inv.id !== 'string' || typeof inv.emailAddress !== 'string') {
    // A proxy or a broken edge, not Clerk's API, answers like this: Clerk may still be working on the call.
    throw new UpstreamFailure({ kind: 'unknown', answered: false, message: 'the answer was not an invitation' });
  }
  const expiresAt = inv.raw?.['expires_at'];
  return {
    id: inv.id,
    emailAddress: inv.emailAddress,
    status: inv.status ?? 'pending',
    publicMetadata: (inv.publicMetadata ?? {}) as Record<string, unknown>,
    url: inv.url ?? null,
    revoked: inv.revoked ?? inv.status === 'revoked',
    expiresAt: typeof expiresAt === 'number' ? expiresAt : null,
    createdAt: inv.createdAt ?? 0,
    updatedAt: inv.updatedAt ?? inv.createdAt ?? 0,
  };
}

/** Talks to Clerk (or the emulator) through the official `@clerk/backend` client. */
export class ClerkUpstream implements Upstream {
  private readonly clerk;
  readonly clock: ClerkClock;

  constructor(private readonly options: ClerkUpstreamOptions) {
    this.clerk = createClerkClient({ secretKey: options.secretKey, apiUrl: options.apiUrl });
    this.clock = options.clock ?? new ClerkClock();
  }

  async createBulk(items: InvitationParams[]): Promise<InvitationRecord[]> {
    return this.create(() => this.clerk.invitations.createInvitationBulk(items), { call: 'bulk', method: 'POST', items: items.length }, (created) => {
      if (!Array.isArray(created) || created.length !== items.length) {
        throw new UpstreamFailure({ kind: 'unknown', answered: false, message: 'the answer to the bulk call was not a list of invitations' });
      }
      return created.map(toRecord);
    });
  }

  async createOne(item: InvitationParams): Promise<InvitationRecord> {
    const [record] = await this.create(() => this.clerk.invitations.createInvitation(item), { call: 'single', method: 'POST', items: 1 }, (value) => [toRecord(value)]);
    return record!;
  }

  async list({ status, query, limit, offset, orderBy }: ListParams): Promise<ListPage> {
    // `purpose` is the gateway's own bookkeeping; Clerk never sees it.
    const page = await this.call(
      () => this.clerk.invitations.getInvitationList({ status, query, limit, offset, ...(orderBy ? { orderBy } : {}) }),
      { call: 'list', method: 'GET' },
    );
    if (!isObject(page) || !Array.isArray(page['data'])) {
      throw new UpstreamFailure({ kind: 'unknown', answered: false, message: 'the answer to the list call was not a page of invitations' });
    }
    return { data: (page['data'] as unknown[]).map(toRecord), totalCount: Number(page['totalCount'] ?? 0) };
  }

  async existingUsers(emails: string[]): Promise<Set<string>> {
    const page = await this.call(() => this.clerk.users.getUserList({ emailAddress: emails, limit: 100 }), { call: 'users', method: 'GET' });
    const asked = new Set(emails.map(emailKey));
    const found = new Set<string>();
    for (const user of page.data ?? []) {
      for (const { emailAddress } of user.emailAddresses ?? []) if (asked.has(emailKey(emailAddress))) found.add(emailKey(emailAddress));
    }
    return found;
  }

  forOrganization(organizationId: string): Upstream {
    return organizationUpstream({ clerk: this.clerk, call: (run) => this.call(run), create: (run, toRecords) => this.create(run, { call: 'other' }, toRecords), clock: this.clock }, organizationId);
  }

  async revoke(id: string): Promise<InvitationRecord> {
    return toRecord(await this.call(() => this.clerk.invitations.revokeInvitation(id)));
  }

  /**
   * The SDK has no timeout or cancel of its own, so a hung Clerk would hold the caller for minutes.
   * The transport aborts the socket at the deadline; the race is a backstop should that ever miss.
   * `what` names the call in its trace span; unnamed calls (revokes) are spans all the same.
   */
  private async call<T>(run: () => Promise<T>, what: ClerkCallInfo = { call: 'other' }): Promise<T> {
    return (await this.callSince(run, what)).value;
  }

  /**
   * A create call, with the earliest moment by Clerk's own clock at which it can have created anything:
   * its answer's `Date` less the time the answer took. Read from one answer alone, it needs no model
   * of Clerk's clock, so it holds even if that clock jumps.
   */
  private async create<T>(run: () => Promise<T>, what: ClerkCallInfo, toRecords: (value: T) => InvitationRecord[]): Promise<InvitationRecord[]> {
    const { value, leftBy } = await this.callSince(run, what);
    const records = toRecords(value);
    if (leftBy !== undefined) for (const record of records) record.callLeftBy = leftBy;
    return records;
  }

  private async callSince<T>(run: () => Promise<T>, what: ClerkCallInfo = { call: 'other' }): Promise<{ value: T; leftBy?: number }> {
    const { timeoutMs } = this.options;
    const span = startClerkCall(what);
    const { trace, result } = traceCall(timeoutMs, run, span?.headers);
    let timer: NodeJS.Timeout | undefined;
    const backstop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        trace.timedOut = true;
        reject(new CallDeadlineError(timeoutMs));
      }, timeoutMs + 1_000);
    });
    try {
      const value = await Promise.race([result, backstop]);
      span?.end({ result: 'ok', status: trace.status });
      const date = trace.date ? Date.parse(trace.date) : NaN;
      const latency = trace.headersAt !== undefined && trace.sentAt !== undefined ? trace.headersAt - trace.sentAt : undefined;
      return { value, leftBy: Number.isFinite(date) && latency !== undefined ? date - latency : undefined };
    } catch (error) {
      const failure = classifyUpstreamError(error, trace);
      span?.end({ result: failure.info.kind, status: trace.status, clerkTraceId: 'traceId' in failure.info ? failure.info.traceId : undefined });
      throw failure;
    } finally {
      clearTimeout(timer);
      if (trace.sentAt !== undefined && trace.headersAt !== undefined) this.clock.observe(trace.date, trace.sentAt, trace.headersAt);
    }
  }
}
