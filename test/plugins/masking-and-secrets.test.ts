import { afterEach, describe, expect, it } from 'vitest';
import type { Upstream } from '../../src/clerk/upstream.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { hmacWithPublicKey, v1 } from '../auth/tokens.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const LIST = '{ invitations(first: 5) { totalCount edges { node { id } } } }';
const INVITE = 'mutation ($email: String!) { createInvitations(invitations: [{ emailAddress: $email }]) { createdCount failedCount } }';

/** An upstream whose list fails the way a bug would: a plain Error quoting secrets and a raw body. */
function leakyUpstream(secret: string): Upstream {
  const boom = () => {
    throw new Error(`request with Bearer ${secret} failed: <html><body>502 Bad Gateway from proxy</body></html>`);
  };
  return { createBulk: boom, createOne: boom, list: async () => boom(), revoke: boom, existingUsers: async () => boom() };
}

describe('masked errors', () => {
  it('answer an unexpected failure with a bare "Unexpected error." in production', async () => {
    const secret = 'sk_test_leaky_secret_that_must_not_escape';
    stack = await startStack({ env: { NODE_ENV: 'production' }, upstream: leakyUpstream(secret), logLevel: 'trace' });
    const { body } = await stack.request(LIST);
    expect(body.data).toBeNull();
    expect(body.errors).toEqual([
      { message: 'Unexpected error.', locations: expect.any(Array), path: ['invitations'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);
    const text = JSON.stringify(body);
    for (const leak of [secret, 'html', 'stack', 'Bearer']) expect(text).not.toContain(leak);
    // The log keeps the failure for the operator, with the secret cut out.
    const logged = stack.logs.join('');
    expect(logged).toContain('502 Bad Gateway from proxy');
    expect(logged).not.toContain(secret);
  });

  it("turn Clerk's unreadable answers into the gateway's own words", async () => {
    stack = await startStack({ env: { NODE_ENV: 'production' } });
    stack.emulator.faults.add({ route: 'list', fault: 'malformed-body', variant: 'html-502' });
    const { response, body } = await stack.request(LIST);
    expect(response.status).toBe(502);
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'UPSTREAM_ERROR' } });
    expect(body.errors?.[0]?.message).toMatch(/^Clerk did not answer properly when asked to list invitations\. Retry shortly\.$/);
    expect(JSON.stringify(body)).not.toMatch(/html|stack/i);
  });
});

describe('the Clerk secret key', () => {
  it('appears in no log line, no answer and no metric, whatever happens', async () => {
    stack = await startStack({ logLevel: 'trace' });
    const s = stack;
    const { secretKey } = s;
    const bodies: string[] = [];
    const record = async (result: Promise<{ body: unknown }>) => bodies.push(JSON.stringify((await result).body));
    const { kid, publicKeyPem } = await s.emulator.signingKey();

    await record(s.request(INVITE, { email: 'ok@example.com' }));
    await record(s.request(INVITE, { email: 'ok@example.com' }));
    await record(s.request(INVITE, { email: 'user@example.com' }, { authorization: `Bearer ${await s.emulator.signSessionToken(v1('org:admin'))}` }));
    await record(s.request(INVITE, { email: 'x@example.com' }, { authorization: `Bearer ${hmacWithPublicKey(v1('org:admin'), kid, publicKeyPem)}` }));
    await record(s.request(INVITE, { email: 'x@example.com' }, { authorization: null }));
    await record(s.request(INVITE, { email: 'x@example.com' }, { authorization: `Bearer ${secretKey}` }));
    s.emulator.faults.add({ route: 'any', fault: 'error500-after-commit', times: 1 });
    await record(s.request(INVITE, { email: 'fault@example.com' }));
    s.emulator.faults.add({ route: 'any', fault: 'malformed-body', variant: 'html-502', times: 1 });
    await record(s.request(INVITE, { email: 'html@example.com' }));
    s.emulator.faults.add({ route: 'any', fault: 'rate-limit', times: 1 });
    await record(s.request(LIST));
    await record(s.request('mutation { revokeInvitation(id: "inv_unknown") { id } }'));
    await record(s.request('{ gatewayStatus { pendingInvitations } }'));

    expect(s.logs.length).toBeGreaterThan(10);
    expect(s.logs.join('')).not.toContain(secretKey);
    expect(bodies.join('')).not.toContain(secretKey);
    const metrics = await s.app.metrics.registry.metrics();
    expect(metrics).toContain('gateway_upstream_calls_total');
    expect(metrics).not.toContain(secretKey);
    // The key itself offered as a credential is refused like any other unknown value.
    expect(bodies[5]).toContain('UNAUTHENTICATED');
  });
});
