import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-keys.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};
const pem = (bits = 2048) =>
  generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

describe('auth and hardening settings', () => {
  it('has safe defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      clerkJwtKey: undefined,
      clerkAuthorizedParties: [],
      clerkM2mAudience: [],
      inviterRoles: ['org:admin'],
      inviterPermissions: [],
      inviterMachines: [],
      apiKeys: [],
      corsOrigins: [],
      allowedRedirectOrigins: [],
      maxRequestBodyBytes: 1_048_576,
      graphiql: true,
      introspection: true,
    });
    expect(loadConfig({ NODE_ENV: 'production', CLERK_SECRET_KEY: 'sk_live_x' })).toMatchObject({ graphiql: false, introspection: false });
    expect(loadConfig({ NODE_ENV: 'production', CLERK_SECRET_KEY: 'sk_live_x', GRAPHIQL: 'true', INTROSPECTION: '1' })).toMatchObject({
      graphiql: true,
      introspection: true,
    });
  });

  it('refuses demo mode in production', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^CLERK_SECRET_KEY=unset: required when NODE_ENV=production/)]);
  });

  it('takes CLERK_JWT_KEY with real newlines or \\n escapes, and normalises it', () => {
    const key = pem();
    const multiLine = loadConfig({ CLERK_JWT_KEY: key }).clerkJwtKey;
    expect(loadConfig({ CLERK_JWT_KEY: key.trim().replace(/\n/g, '\\n') }).clerkJwtKey).toBe(multiLine);
    expect(multiLine).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('names the variable and hides key material when a value is wrong', () => {
    const found = problems({
      CLERK_JWT_KEY: pem(3072),
      CLERK_AUTHORIZED_PARTIES: 'https://app.example.com,app.example.com',
      INVITER_ROLES: 'admin',
      INVITER_PERMISSIONS: 'manage',
      INVITER_MACHINES: 'machine-1',
      GATEWAY_API_KEYS: `ci:${hashApiKey('k')},ops:plain-secret-key`,
      CORS_ORIGINS: 'https://a.example.com/path',
      ALLOWED_REDIRECT_ORIGINS: 'javascript:alert(1)',
      GRAPHIQL: 'maybe',
    });
    expect(found).toEqual([
      expect.stringMatching(/^CLERK_JWT_KEY=\(hidden\): must be Clerk's JWT public key/),
      expect.stringMatching(/^CLERK_AUTHORIZED_PARTIES="https:\/\/app.example.com,app.example.com": "app.example.com" is not an origin/),
      expect.stringMatching(/^INVITER_ROLES="admin": "admin" is not a Clerk role key like org:admin/),
      expect.stringMatching(/^INVITER_PERMISSIONS="manage": /),
      expect.stringMatching(/^INVITER_MACHINES="machine-1": /),
      expect.stringMatching(/^GATEWAY_API_KEYS=\(hidden\): entry "ops:…" must be name:sha256-hex or name:sha256-hex:max\/window \(printf %s "\$KEY" \| sha256sum; e.g. import:<hex>:5000\/1d\)$/),
      expect.stringMatching(/^CORS_ORIGINS="https:\/\/a.example.com\/path": /),
      expect.stringMatching(/^ALLOWED_REDIRECT_ORIGINS="javascript:alert\(1\)": /),
      expect.stringMatching(/^GRAPHIQL="maybe": /),
    ]);
    expect(found.join('\n')).not.toContain('plain-secret-key');
    expect(problems({ GATEWAY_API_KEYS: `ci:${hashApiKey('a')},ci:${hashApiKey('b')}` })).toEqual([
      expect.stringMatching(/^GATEWAY_API_KEYS=\(hidden\): names must be unique \(repeated: ci\)/),
    ]);
  });

  it('parses lists', () => {
    const config = loadConfig({
      GATEWAY_API_KEYS: ` ci:${hashApiKey('a').toUpperCase()} , ops:${hashApiKey('b')},`,
      CORS_ORIGINS: 'https://app.example.com/, http://localhost:3000',
      ALLOWED_REDIRECT_ORIGINS: 'https://app.example.com',
      INVITER_ROLES: 'org:admin,org:inviter',
    });
    expect(config.apiKeys).toEqual([
      { name: 'ci', sha256: hashApiKey('a') },
      { name: 'ops', sha256: hashApiKey('b') },
    ]);
    expect(config.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000']);
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    expect(config.inviterRoles).toEqual(['org:admin', 'org:inviter']);
  });

  it('takes CLERK_M2M_AUDIENCE as a list of machine ids or origins, and names a bad entry', () => {
    expect(loadConfig({ CLERK_M2M_AUDIENCE: 'mch_gateway, https://gateway.example.com' }).clerkM2mAudience).toEqual(['mch_gateway', 'https://gateway.example.com']);
    expect(problems({ CLERK_M2M_AUDIENCE: 'mch_gateway,two words' })).toEqual([
      expect.stringMatching(/^CLERK_M2M_AUDIENCE="mch_gateway,two words": "two words" is not an audience value/),
    ]);
  });
});

describe('per-caller limits', () => {
  const hash = hashApiKey('import-key');

  it('takes a key with its own limit and one without, and the session and machine defaults', () => {
    const config = loadConfig({
      GATEWAY_API_KEYS: `import:${hash}:5000/1d, ci:${hashApiKey('ci')}, burst:${hashApiKey('b')}:10/500ms`,
      RATE_LIMIT_SESSION_MAX: '20',
      RATE_LIMIT_MACHINE_WINDOW: '15m',
    });
    expect(config.apiKeys).toEqual([
      { name: 'import', sha256: hash, limit: { max: 5000, window: '1d' } },
      { name: 'ci', sha256: hashApiKey('ci') },
      { name: 'burst', sha256: hashApiKey('b'), limit: { max: 10, window: '500ms' } },
    ]);
    expect(config.apiKeys[1]).not.toHaveProperty('limit');
    expect(config.rateLimitSession).toEqual({ max: 20, window: undefined });
    expect(config.rateLimitMachine).toEqual({ max: undefined, window: '15m' });
  });

  it('leaves every caller on the overall default when nothing is set', () => {
    const config = loadConfig({});
    expect([config.rateLimitMax, config.rateLimitWindow]).toEqual([undefined, undefined]);
    expect(config.rateLimitSession).toEqual({ max: undefined, window: undefined });
    expect(config.rateLimitMachine).toEqual({ max: undefined, window: undefined });
  });

  it.each([
    ['no window', '5000', /limit "5000" must be max\/window/],
    ['no max', '/1d', /limit "\/1d" must be max\/window/],
    ['an unknown unit', '5000/1w', /limit "5000\/1w" must be max\/window/],
    ['a negative max', '-5/1h', /limit must be max\/window/],
    ['a zero max', '0/1h', /limit "0\/1h" has max 0/],
    ['a max beyond a billion', '1000000001/1h', /has max 1000000001/],
    ['a zero window', '5/0s', /limit "5\/0s" has a zero window/],
    ['a fourth part', '5/1h:extra', /limit must be max\/window/],
    ['an empty limit', '', /limit must be max\/window/],
    ['spaces', '5 / 1h', /limit must be max\/window/],
  ])('refuses an entry whose limit has %s, naming the variable, the entry and the form, never the hash', (_what, limit, message) => {
    const found = problems({ GATEWAY_API_KEYS: `ci:${hashApiKey('ci')},import:${hash}:${limit}` });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^GATEWAY_API_KEYS=\(hidden\): entry "import": limit/);
    expect(found[0]).toMatch(message);
    expect(found[0]).toContain('max a whole number from 1 to 1000000000 and window a number and a unit: 500ms, 30s, 15m, 1h, 1d (e.g. import:<hex>:5000/1d)');
    expect(found[0]).not.toContain(hash);
    expect(found[0]).not.toContain(hashApiKey('ci'));
  });

  it('does not echo a limit part that could be a raw key pasted in the wrong place', () => {
    const found = problems({ GATEWAY_API_KEYS: `import:${hash}:gwk_Secret-Key_value` });
    expect(found).toEqual([expect.stringMatching(/^GATEWAY_API_KEYS=\(hidden\): entry "import": limit must be max\/window/)]);
    expect(found.join('\n')).not.toContain('Secret');
  });

  it('refuses a limit on an entry whose hash is wrong with the entry form, not a limit message', () => {
    expect(problems({ GATEWAY_API_KEYS: 'import:abc:5/1h' })).toEqual([expect.stringMatching(/^GATEWAY_API_KEYS=\(hidden\): entry "import:…" must be name:sha256-hex or name:sha256-hex:max\/window/)]);
  });

  it('names each bad default variable', () => {
    expect(
      problems({
        RATE_LIMIT_SESSION_MAX: '0',
        RATE_LIMIT_SESSION_WINDOW: '1 hour',
        RATE_LIMIT_MACHINE_MAX: 'lots',
        RATE_LIMIT_MACHINE_WINDOW: '0m',
        RATE_LIMIT_WINDOW: '0s',
      }),
    ).toEqual([
      expect.stringMatching(/^RATE_LIMIT_WINDOW="0s": must be longer than zero/),
      expect.stringMatching(/^RATE_LIMIT_SESSION_MAX="0": /),
      expect.stringMatching(/^RATE_LIMIT_SESSION_WINDOW="1 hour": must be a number and a unit: 500ms, 30s, 15m, 1h, 1d/),
      expect.stringMatching(/^RATE_LIMIT_MACHINE_MAX="lots": /),
      expect.stringMatching(/^RATE_LIMIT_MACHINE_WINDOW="0m": must be longer than zero/),
    ]);
  });
});
