import type { ClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, type FaultRule, startEmulator } from '../../src/emulator/index.ts';
import { clerkError, clientFor, expectSpecValid, rawFetch } from './helpers.ts';

// Only the CDN's edge pages may be HTML; anything Clerk itself says, 5xx included, is its JSON envelope
// with a clerk_trace_id, so a client can tell the two apart.
let emulator: Emulator;
let clerk: ClerkClient;
let key: string;

beforeAll(async () => {
  emulator = await startEmulator({ limits: { singlePerHour: 1 } });
  key = emulator.secretKeys[0] as string;
  clerk = clientFor(emulator.url, key);
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

const TRACE = /^[0-9a-f]{32}$/;
const post = (path: string, body: string, init: RequestInit = {}) => rawFetch(emulator.url, path, key, { method: 'POST', body, ...init });

async function expectClerkEnvelope(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/json');
  expect(res.headers.get('cf-ray')).toBeNull();
  const body = await res.json();
  expectSpecValid('clerkErrors', body);
  expect(body.clerk_trace_id).toMatch(TRACE);
  expect(body.errors.map((e: { code: string }) => e.code)).toContain(code);
  expect(emulator.calls.at(-1)?.traceId).toBe(body.clerk_trace_id);
}

describe("Clerk's own errors carry the JSON envelope and a clerk_trace_id", () => {
  it.each<[string, () => Promise<Response>, number, string]>([
    ['no Authorization header', () => fetch(`${emulator.url}/v1/invitations`), 401, 'authorization_header_format_invalid'],
    ['unknown key', () => rawFetch(emulator.url, '/v1/invitations', 'sk_test_nobody'), 401, 'clerk_key_invalid'],
    ['path outside /v1', () => rawFetch(emulator.url, '/v2/invitations', key), 404, 'resource_not_found'],
    ['unknown /v1 route', () => rawFetch(emulator.url, '/v1/nothing-here', key), 404, 'resource_not_found'],
    ['bad API version', () => rawFetch(emulator.url, '/v1/invitations', key, { headers: { 'Clerk-API-Version': 'latest' } }), 400, 'api_version_invalid'],
    ['form body', () => post('/v1/invitations', 'email_address=a@example.com', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_content_type'],
    ['broken JSON', () => post('/v1/invitations', '{"email_address":'), 400, 'request_body_invalid'],
    ['field error', () => post('/v1/invitations', '{"email_address":"nope"}'), 422, 'form_param_format_invalid'],
  ])('%s', async (_name, request, status, code) => {
    await expectClerkEnvelope(await request(), status, code);
  });

  it('the hourly limit (429)', async () => {
    await post('/v1/invitations', '{"email_address":"one@example.com"}');
    const res = await post('/v1/invitations', '{"email_address":"two@example.com"}');
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    await expectClerkEnvelope(res, 429, 'too_many_requests');
  });

  it.each<[FaultRule['fault'], number, string]>([
    ['rate-limit', 429, 'too_many_requests'],
    ['error500-before-commit', 500, 'internal_clerk_error'],
    ['error500-after-commit', 500, 'internal_clerk_error'],
  ])('the %s fault', async (fault, status, code) => {
    emulator.faults.add({ route: 'bulk', fault, times: 1 });
    await expectClerkEnvelope(await post('/v1/invitations/bulk', '[{"email_address":"f@example.com"}]'), status, code);
  });

  it.each(['error500-before-commit', 'error500-after-commit', 'rate-limit'] as const)(
    'the SDK reports the envelope trace id for %s, with errors, so it is not mistaken for an edge page',
    async (fault) => {
      emulator.faults.add({ route: 'single', fault, times: 1 });
      const error = await clerkError(clerk.invitations.createInvitation({ emailAddress: 'sdk@example.com' }));
      expect(error.errors.length).toBeGreaterThan(0);
      expect(error.clerkTraceId).toMatch(TRACE);
      expect(error.clerkTraceId).toBe(emulator.calls.at(-1)?.traceId);
    },
  );

  it('gives every error a fresh trace id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 3; i += 1) ids.add((await (await fetch(`${emulator.url}/v1/invitations`)).json()).clerk_trace_id);
    expect(ids.size).toBe(3);
  });
});
