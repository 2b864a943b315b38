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
      expect.stringMatching(/^GATEWAY_API_KEYS=\(hidden\): entry "ops:…" must be name:sha256-hex \(printf %s "\$KEY" \| sha256sum\)$/),
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
