import { verifyToken } from '@clerk/backend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { clientFor, expectSpecValid, rawFetch } from './helpers.ts';

let emulator: Emulator;
const [keyA, keyB] = ['sk_test_instance_a', 'sk_test_instance_b'];

beforeAll(async () => {
  emulator = await startEmulator({ secretKeys: [keyA, keyB] });
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

describe('GET /v1/jwks and session tokens', () => {
  it('serves a spec-valid RSA JWKS per instance', async () => {
    const [a, b] = await Promise.all([
      rawFetch(emulator.url, '/v1/jwks', keyA).then((r) => r.json()),
      rawFetch(emulator.url, '/v1/jwks', keyB).then((r) => r.json()),
    ]);
    expectSpecValid('jwks', a);
    expect(a.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(a.keys[0].kid).not.toBe(b.keys[0].kid);
  });

  it('mints tokens the SDK verifies offline with jwtKey and online through the JWKS', async () => {
    const token = await emulator.signSessionToken({ sub: 'user_123', azp: 'http://localhost:3000' });
    const { publicKeyPem } = await emulator.signingKey();
    const offline = await verifyToken(token, { jwtKey: publicKeyPem, authorizedParties: ['http://localhost:3000'] });
    expect(offline).toMatchObject({ sub: 'user_123', iss: emulator.url, sid: expect.stringMatching(/^sess_/) });
    const online = await verifyToken(token, { secretKey: keyA, apiUrl: emulator.url });
    expect(online.sub).toBe('user_123');
  });

  it("rejects one instance's token with another instance's key, and expired tokens", async () => {
    const token = await emulator.signSessionToken({ sub: 'user_1' }, { secretKey: keyB });
    const { publicKeyPem } = await emulator.signingKey(keyA);
    await expect(verifyToken(token, { jwtKey: publicKeyPem })).rejects.toMatchObject({ reason: 'token-invalid-signature' });
    const expired = await emulator.signSessionToken({ sub: 'user_1', exp: Math.floor(Date.now() / 1000) - 60 });
    await expect(verifyToken(expired, { jwtKey: (await emulator.signingKey()).publicKeyPem })).rejects.toMatchObject({
      reason: 'token-expired',
    });
  });

  it('refuses claims without a subject', async () => {
    await expect(emulator.signSessionToken({})).rejects.toThrow(/sub/);
  });
});

describe('GET /v1/users', () => {
  it('finds seeded users by email through the SDK, with spec-valid bodies', async () => {
    emulator.seedUsers(['Known@Example.com', 'other@example.com']);
    const clerk = clientFor(emulator.url, keyA);
    const found = await clerk.users.getUserList({ emailAddress: ['known@example.com', 'nobody@example.com'] });
    expect(found.totalCount).toBe(1);
    expect(found.data[0]?.emailAddresses[0]?.emailAddress).toBe('known@example.com');
    expect(found.data[0]?.id).toMatch(/^user_/);

    const raw = await rawFetch(emulator.url, '/v1/users?email_address=known@example.com&email_address=other@example.com', keyA);
    const users = await raw.json();
    expectSpecValid('userList', users);
    expect(users).toHaveLength(2);
    const count = await (await rawFetch(emulator.url, '/v1/users/count', keyA)).json();
    expectSpecValid('totalCount', count);
    expect(count.total_count).toBe(2);
    expect((await clientFor(emulator.url, keyB).users.getUserList()).totalCount).toBe(0);
  });
});
