import { describe, expect, it } from 'vitest';
import { applyUnknownChecks, checkUnknownRows, CLOCK_SKEW_MS, FOUND_AFTER_UNKNOWN, judgeLookup, REQUEST_SETTLED_MS } from '../../tools/invite-csv/check-unknown.ts';
import { fingerprintOf } from '../../tools/invite-csv/csv-rows.ts';
import { createGatewayClient, type FoundInvitation, type Lookup } from '../../tools/invite-csv/gateway-client.ts';
import type { StateEntry } from '../../tools/invite-csv/state-store.ts';
import type { ValidRow } from '../../tools/invite-csv/types.ts';

const SENT = Date.UTC(2026, 5, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const unknown = (sentAt = SENT): StateEntry => ({ line: 2, fingerprint: 'f', outcome: 'OUTCOME_UNKNOWN', retryable: false, sentAt: iso(sentAt), updatedAt: iso(sentAt + 5_000) });
const invitation = (id: string, email: string, createdAt: number): FoundInvitation => ({ id, emailAddress: email, status: 'PENDING', createdAt: iso(createdAt) });

describe('judgeLookup', () => {
  it('takes the newest invitation for the address created since the request (less clock skew) as the row\'s', () => {
    const found = [invitation('inv_other', 'ada@example.community', SENT + 1), invitation('inv_new', 'ADA@example.com', SENT + 200), invitation('inv_old', 'ada@example.com', SENT - CLOCK_SKEW_MS - 1)];
    expect(judgeLookup(unknown(), 'ada@example.com', found, SENT + 1_000)).toEqual({ kind: 'created', invitationId: 'inv_new' });
  });

  it('calls a row absent only once its request must be over', () => {
    const old = [invitation('inv_old', 'ada@example.com', SENT - CLOCK_SKEW_MS - 1)];
    expect(judgeLookup(unknown(), 'ada@example.com', old, SENT + REQUEST_SETTLED_MS - 1)).toMatchObject({ kind: 'unchecked', reason: expect.stringMatching(/may still be running/) });
    expect(judgeLookup(unknown(), 'ada@example.com', old, SENT + REQUEST_SETTLED_MS)).toEqual({ kind: 'absent' });
    // A state written by a run killed mid-request has SENDING with sentAt; older files fall back to updatedAt.
    const { sentAt: _, ...withoutSentAt } = unknown();
    expect(judgeLookup({ ...withoutSentAt, outcome: 'SENDING' }, 'ada@example.com', [], SENT + 5_000 + REQUEST_SETTLED_MS)).toEqual({ kind: 'absent' });
  });
});

describe('checkUnknownRows and applyUnknownChecks', () => {
  const row = (line: number, email: string): ValidRow => ({ line, key: email, input: { emailAddress: email }, fingerprint: fingerprintOf({ emailAddress: email }) });
  const rows = [row(2, 'a@x.io'), row(3, 'b@x.io'), row(4, 'c@x.io')];

  it('settles found rows as CREATED, forgets absent ones and keeps the rest unknown with a reason', async () => {
    const entries = new Map<string, StateEntry>(rows.map((r) => [r.key, { ...unknown(), line: r.line, fingerprint: r.fingerprint }]));
    const answers: Record<string, Lookup> = {
      'a@x.io': { ok: true, invitations: [invitation('inv_a', 'a@x.io', SENT + 10)] },
      'b@x.io': { ok: true, invitations: [] },
      'c@x.io': { ok: false, reason: 'RATE_LIMITED: too often' },
    };
    const asked: string[] = [];
    const checks = await checkUnknownRows(rows, entries, { findInvitations: async (email) => (asked.push(email), answers[email]!) }, () => SENT + REQUEST_SETTLED_MS + 1);
    expect(asked).toEqual(['a@x.io', 'b@x.io', 'c@x.io']);

    const store = {
      get: (key: string) => entries.get(key),
      set: (key: string, entry: Omit<StateEntry, 'updatedAt'>) => void entries.set(key, { ...entry, updatedAt: 'now' }),
      restore: (key: string) => void entries.delete(key),
    };
    const applied = applyUnknownChecks(rows, checks, store);
    expect(applied).toEqual({ found: 1, absent: 1, notes: new Map([['c@x.io', 'the lookup failed (RATE_LIMITED: too often)']]) });
    expect(entries.get('a@x.io')).toMatchObject({ outcome: 'CREATED', invitationId: 'inv_a', message: FOUND_AFTER_UNKNOWN, fingerprint: rows[0]!.fingerprint });
    expect(entries.has('b@x.io')).toBe(false);
    expect(entries.get('c@x.io')?.outcome).toBe('OUTCOME_UNKNOWN');
  });
});

describe('createGatewayClient.findInvitations', () => {
  it('queries by address with the generated document and returns the nodes, or why it could not', async () => {
    let body: { query: string; variables: unknown } | undefined;
    const node = invitation('inv_1', 'a@x.io', SENT);
    const client = createGatewayClient({
      url: 'http://gw/graphql',
      fetch: async (_url, init) => {
        body = JSON.parse(String(init?.body));
        return new Response(JSON.stringify({ data: { invitations: { edges: [{ node }] } } }));
      },
    });
    expect(await client.findInvitations('a@x.io')).toEqual({ ok: true, invitations: [node] });
    expect(body!.query).toMatch(/^query FindInvitations\(\$query: String!\)/);
    expect(body!.variables).toEqual({ query: 'a@x.io' });

    const refused = createGatewayClient({
      url: 'http://gw/graphql',
      fetch: async () => new Response(JSON.stringify({ errors: [{ message: 'Not allowed', extensions: { code: 'FORBIDDEN' } }] }), { status: 403 }),
    });
    expect(await refused.findInvitations('a@x.io')).toEqual({ ok: false, reason: 'FORBIDDEN: Not allowed' });
  });
});
