import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { clerkError, clientFor, rawFetch, wireOf } from './helpers.ts';

const OFFSET = -30_000;
const DAY_MS = 86_400_000;
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

let emulator: Emulator;
let key: string;

beforeAll(async () => {
  emulator = await startEmulator({ clockOffsetMs: OFFSET, control: true, limits: { bulkPerHour: 1 } });
  key = emulator.secretKeys[0] as string;
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

/** Runs `call` and gives the real-clock interval around it, shifted by the offset. */
async function behind<T>(call: () => Promise<T>, offset = OFFSET) {
  const from = Date.now() + offset;
  const value = await call();
  return { value, from, to: Date.now() + offset };
}

/** The Date header in ms; it has 1 s resolution, so it may read up to 999 ms before `from`. */
function dateOf(res: Response): number {
  const header = res.headers.get('date') ?? '';
  expect(header).toMatch(IMF_FIXDATE);
  return Date.parse(header);
}

describe("Clerk's clock offset", () => {
  it('stamps created_at, updated_at and expires_at 30 s behind real time, and so does the Date header', async () => {
    const { value: res, from, to } = await behind(() =>
      rawFetch(emulator.url, '/v1/invitations', key, { method: 'POST', body: JSON.stringify({ email_address: 'skew@example.com' }) }),
    );
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body.created_at).toBeGreaterThanOrEqual(from);
    expect(body.created_at).toBeLessThanOrEqual(to);
    expect(body.updated_at).toBe(body.created_at);
    expect(body.expires_at).toBe(body.created_at + 30 * DAY_MS);
    const date = dateOf(res);
    expect(date).toBeGreaterThanOrEqual(Math.floor(from / 1000) * 1000);
    expect(date).toBeLessThanOrEqual(to);
  });

  it('shows the same skew through the SDK, on acceptance and on revocation', async () => {
    const clerk = clientFor(emulator.url, key);
    const { value: created, from } = await behind(() => clerk.invitations.createInvitation({ emailAddress: 'sdk@example.com' }));
    expect(created.createdAt).toBeGreaterThanOrEqual(from);
    expect(created.createdAt).toBeLessThan(Date.now() + OFFSET + 1);
    const { value: revoked, from: revokedFrom, to } = await behind(() => clerk.invitations.revokeInvitation(created.id));
    expect(revoked.updatedAt).toBeGreaterThanOrEqual(revokedFrom);
    expect(revoked.updatedAt).toBeLessThanOrEqual(to);

    const other = await clerk.invitations.createInvitation({ emailAddress: 'joins@example.com' });
    const { value: accepted, from: acceptFrom, to: acceptTo } = await behind(async () => emulator.acceptInvitation(other.id));
    expect(accepted.updatedAt).toBeGreaterThanOrEqual(acceptFrom);
    expect(accepted.updatedAt).toBeLessThanOrEqual(acceptTo);
    expect(emulator.users()[0]?.createdAt).toBe(accepted.updatedAt);
  });

  it('puts a single Date header from the skewed clock on errors, 404s, edge pages and control routes', async () => {
    emulator.faults.add({ route: 'list', fault: 'edge-before-commit', edgeStatus: 524, times: 1 });
    const requests = [
      () => rawFetch(emulator.url, '/v1/invitations', 'sk_test_unknown'),
      () => rawFetch(emulator.url, '/nowhere', key),
      () => rawFetch(emulator.url, '/v1/invitations', key),
      () => rawFetch(emulator.url, '/v1/invitations', key, { method: 'POST', body: '{}' }),
      () => fetch(`${emulator.url}/__emulator/health`),
    ];
    const seen: number[] = [];
    for (const request of requests) {
      const { value: res, from, to } = await behind(request);
      seen.push(res.status);
      // Two Date headers would be joined with ", " and fail the IMF-fixdate pattern.
      const date = dateOf(res);
      expect(date).toBeGreaterThanOrEqual(Math.floor(from / 1000) * 1000);
      expect(date).toBeLessThanOrEqual(to);
    }
    expect(seen).toEqual([401, 404, 524, 422, 200]);
  });

  it('runs rate-limit windows on the same clock: moving the offset ahead an hour frees the bulk window', async () => {
    const clerk = clientFor(emulator.url, key);
    await clerk.invitations.createInvitationBulk([{ emailAddress: 'w1@example.com' }]);
    const limited = await clerkError(clerk.invitations.createInvitationBulk([{ emailAddress: 'w2@example.com' }]));
    expect([limited.status, limited.retryAfter]).toEqual([429, 3600]);
    emulator.setClockOffset(OFFSET + 3_600_000);
    const [later] = await clerk.invitations.createInvitationBulk([{ emailAddress: 'w2@example.com' }]);
    expect(later?.createdAt).toBeGreaterThan(Date.now() + 3_500_000);
  });

  it('signs session tokens whose nbf and exp follow the skewed clock (iat is set by the SDK signer)', async () => {
    const before = Math.floor((Date.now() + OFFSET) / 1000);
    const token = await emulator.signSessionToken({ sub: 'user_1' });
    const after = Math.floor((Date.now() + OFFSET) / 1000);
    const { nbf, exp } = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
    expect(exp).toBeGreaterThanOrEqual(before + 60);
    expect(exp).toBeLessThanOrEqual(after + 60);
    expect(nbf).toBe(exp - 65);
  });

  it('is set over the control route, read back, and restored to the start value by reset', async () => {
    const control = (method: string, body?: unknown) =>
      fetch(`${emulator.url}/__emulator/clock`, {
        method,
        headers: { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (res) => ({ status: res.status, body: await res.json() }));
    expect((await control('GET')).body.offsetMs).toBe(OFFSET);
    const set = await control('POST', { offsetMs: 120_000 });
    expect(set.body.offsetMs).toBe(120_000);
    expect(set.body.now).toBeGreaterThan(Date.now() + 110_000);
    const { value: res, from, to } = await behind(() => rawFetch(emulator.url, '/v1/invitations', key), 120_000);
    expect(dateOf(res)).toBeGreaterThanOrEqual(Math.floor(from / 1000) * 1000);
    expect(dateOf(res)).toBeLessThanOrEqual(to);

    for (const bad of [{}, { offsetMs: 1, advanceMs: 1 }, { offsetMs: 1.5 }, { offsetMs: '5' }]) {
      const answer = await control('POST', bad);
      expect(answer.status, JSON.stringify(bad)).toBe(400);
      expect(answer.body.error).toMatch(/offsetMs/);
    }
    const tooFar = await control('POST', { offsetMs: 10 ** 12 });
    expect([tooFar.status, tooFar.body.error]).toEqual([400, expect.stringContaining('clockOffsetMs must be an integer')]);

    emulator.reset();
    expect(emulator.clockOffsetMs()).toBe(OFFSET);
  });

  it('refuses a bad in-process offset with a message naming clockOffsetMs', async () => {
    await expect(startEmulator({ clockOffsetMs: 0.5 })).rejects.toThrow(/clockOffsetMs must be an integer .* got 0.5/);
    await expect(startEmulator({ clockOffsetMs: Number.NaN })).rejects.toThrow(/clockOffsetMs/);
    expect(() => emulator.setClockOffset(Infinity)).toThrow(/clockOffsetMs/);
  });

  it('keeps invitation timestamps consistent with the response from the SDK view (wire expires_at)', async () => {
    const clerk = clientFor(emulator.url, key);
    const created = await clerk.invitations.createInvitation({ emailAddress: 'exp@example.com', expiresInDays: 2 });
    expect(wireOf(created).expires_at).toBe(created.createdAt + 2 * DAY_MS);
  });
});
