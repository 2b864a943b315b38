import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-keys.ts';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../src/config.ts';
import { EXPECTED_FORMS } from '../../src/config-messages.ts';
import { clampWarnings } from '../../src/config-warnings.ts';

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
      clerk: { jwtKey: undefined, authorizedParties: [], m2mAudience: [] },
      access: { inviterRoles: ['org:admin'], inviterPermissions: [], inviterMachines: [], apiKeys: [] },
      invitations: { allowedRedirectOrigins: [] },
      server: { corsOrigins: [], maxRequestBodyBytes: 1_048_576, graphiql: true, introspection: true },
    });
    expect(loadConfig({ NODE_ENV: 'production', CLERK_SECRET_KEY: 'sk_live_x' }).server).toMatchObject({ graphiql: false, introspection: false });
    expect(loadConfig({ NODE_ENV: 'production', CLERK_SECRET_KEY: 'sk_live_x', GRAPHIQL: 'true', INTROSPECTION: '1' }).server).toMatchObject({
      graphiql: true,
      introspection: true,
    });
  });

  it('refuses demo mode in production', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^CLERK_SECRET_KEY=unset: required when NODE_ENV=production/)]);
  });

  it('takes CLERK_JWT_KEY with real newlines or \\n escapes, and normalises it', () => {
    const key = pem();
    const multiLine = loadConfig({ CLERK_JWT_KEY: key }).clerk.jwtKey;
    expect(loadConfig({ CLERK_JWT_KEY: key.trim().replace(/\n/g, '\\n') }).clerk.jwtKey).toBe(multiLine);
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
      expect.stringMatching(/^CLERK_JWT_KEY=\(hidden\): not an RSA-2048 public key in PEM form; expected Clerk's JWT public key/),
      expect.stringMatching(/^CLERK_AUTHORIZED_PARTIES="https:\/\/app.example.com,app.example.com": "app.example.com" is not an origin/),
      expect.stringMatching(/^INVITER_ROLES="admin": "admin" is not a Clerk role key like org:admin/),
      expect.stringMatching(/^INVITER_PERMISSIONS="manage": /),
      expect.stringMatching(/^INVITER_MACHINES="machine-1": /),
      expect.stringMatching(/^GATEWAY_API_KEYS=\(hidden\): entry "ops:…" must be name:sha256-hex or name:sha256-hex:max\/window \(printf %s "\$KEY" \| sha256sum; e.g. import:<hex>:5000\/1d\)/),
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
    expect(config.access.apiKeys).toEqual([
      { name: 'ci', sha256: hashApiKey('a') },
      { name: 'ops', sha256: hashApiKey('b') },
    ]);
    expect(config.server.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000']);
    expect(loadConfig({ CORS_ORIGINS: '*' }).server.corsOrigins).toEqual(['*']);
    expect(config.access.inviterRoles).toEqual(['org:admin', 'org:inviter']);
  });

  it('takes CLERK_M2M_AUDIENCE as a list of machine ids or origins, and names a bad entry', () => {
    expect(loadConfig({ CLERK_M2M_AUDIENCE: 'mch_gateway, https://gateway.example.com' }).clerk.m2mAudience).toEqual(['mch_gateway', 'https://gateway.example.com']);
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
    expect(config.access.apiKeys).toEqual([
      { name: 'import', sha256: hash, limit: { max: 5000, window: '1d' } },
      { name: 'ci', sha256: hashApiKey('ci') },
      { name: 'burst', sha256: hashApiKey('b'), limit: { max: 10, window: '500ms' } },
    ]);
    expect(config.access.apiKeys[1]).not.toHaveProperty('limit');
    expect(config.callerLimits.session).toEqual({ max: 20, window: undefined });
    expect(config.callerLimits.machine).toEqual({ max: undefined, window: '15m' });
  });

  it('leaves every caller on the overall default when nothing is set', () => {
    const config = loadConfig({});
    expect([config.callerLimits.max, config.callerLimits.window]).toEqual([undefined, undefined]);
    expect(config.callerLimits.session).toEqual({ max: undefined, window: undefined });
    expect(config.callerLimits.machine).toEqual({ max: undefined, window: undefined });
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
      expect.stringMatching(/^RATE_LIMIT_SESSION_WINDOW="1 hour": expected a number and a unit: 500ms, 30s, 15m, 1h, 1d/),
      expect.stringMatching(/^RATE_LIMIT_MACHINE_MAX="lots": /),
      expect.stringMatching(/^RATE_LIMIT_MACHINE_WINDOW="0m": must be longer than zero/),
    ]);
  });
});

/** Values every variable must refuse; secrets are checked for never being echoed. */
const BAD_VALUES: Record<string, string[]> = {
  PORT: ['abc', '70000', '-1', '4.5'],
  HOST: ['not a host!', 'http://gateway'],
  LOG_LEVEL: ['verbose'],
  OTEL_EXPORTER_OTLP_ENDPOINT: ['collector:4318'],
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: ['ftp://collector/v1/traces'],
  OTEL_EXPORTER_OTLP_PROTOCOL: ['grpc'],
  OTEL_SERVICE_NAME: ['two words'],
  CLERK_SECRET_KEY: ['pk_test_publishable', 'sk_prod_secret-material'],
  CLERK_API_URL: ['api.clerk.com', 'ftp://api.clerk.com'],
  CLERK_JWT_KEY: ['not-a-key-secret-material'],
  CLERK_AUTHORIZED_PARTIES: ['app.example.com'],
  CLERK_M2M_AUDIENCE: ['my api', 'a'.repeat(1025)],
  INVITER_ROLES: ['admin'],
  INVITER_PERMISSIONS: ['manage'],
  ORG_INVITER_ROLES: ['admin'],
  ORG_INVITER_PERMISSIONS: ['org:manage'],
  INVITER_ORGS: ['acme'],
  INVITER_MACHINES: ['machine-1'],
  GATEWAY_API_KEYS: ['ci:plain-secret-material'],
  CORS_ORIGINS: ['https://a.example.com/path'],
  ALLOWED_REDIRECT_ORIGINS: ['javascript:alert(1)'],
  MAX_REQUEST_BODY_BYTES: ['100', 'lots'],
  MAX_QUERY_DEPTH: ['0', '101', 'deep'],
  MAX_QUERY_ALIASES: ['-1', '1001'],
  MAX_QUERY_COST: ['0', '1e'],
  GRAPHIQL: ['yes'],
  METRICS: ['on'],
  METRICS_PORT: ['65536', 'x'],
  METRICS_HOST: ['bad host!'],
  METRICS_TOKEN: ['short-secret'],
  METRICS_OPERATION_NAMES: ['1bad', Array.from({ length: 201 }, (_, i) => `Op${i}`).join(',')],
  INTROSPECTION: ['maybe'],
  BATCH_WINDOW_MS: ['60001', 'x'],
  BATCH_WINDOW_MAX_MS: ['-5'],
  MAX_INVITATIONS_PER_REQUEST: ['10001', '0'],
  MAX_PENDING_INVITATIONS: ['0'],
  UPSTREAM_BULK_PER_HOUR: ['many'],
  UPSTREAM_SINGLE_PER_HOUR: ['-3'],
  UPSTREAM_BUDGET_WINDOW: ['1 hour', '0s', '10'],
  UPSTREAM_CHANNELS: ['both'],
  ORG_UPSTREAM_BULK_PER_HOUR: ['0'],
  ORG_UPSTREAM_SINGLE_PER_HOUR: ['many'],
  ORG_UPSTREAM_BUDGET_SCOPE: ['team'],
  UPSTREAM_TIMEOUT_MS: ['300001', '0'],
  UPSTREAM_GENERAL_PER_10S: ['0', '1000001'],
  UPSTREAM_GENERAL_RESERVE_PERCENT: ['91', 'half'],
  REQUEST_TIMEOUT_MS: ['600001', '30s'],
  REDIS_URL: ['http://cache:6379', 'cache:6379'],
  MAX_INVITATIONS_PER_JOB: ['100001', '0'],
  MAX_QUEUED_INVITATIONS: ['0', '100000001', 'many'],
  QUEUE_LOCK_MS: ['999', 'long'],
  RATE_LIMIT_MAX: ['0', 'ten'],
  RATE_LIMIT_WINDOW: ['10 minutes'],
  RATE_LIMIT_SESSION_MAX: ['0'],
  RATE_LIMIT_SESSION_WINDOW: ['1 hour'],
  RATE_LIMIT_MACHINE_MAX: ['ten'],
  RATE_LIMIT_MACHINE_WINDOW: ['0m'],
};
/** Variables that take any text: nothing to refuse. */
const FREE_FORM = ['NODE_ENV'];
const SECRET = /SECRET|KEY|TOKEN|PASSWORD/;

describe('configuration error messages', () => {
  it('have a bad-value case and an expected form for every variable config.ts reads', () => {
    expect([...CONFIG_VARIABLES].sort()).toEqual([...Object.keys(BAD_VALUES), ...FREE_FORM].sort());
    expect(Object.keys(EXPECTED_FORMS).sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  for (const [name, values] of Object.entries(BAD_VALUES)) {
    for (const value of values) {
      it(`${name}=${JSON.stringify(value.slice(0, 30))} is refused with the variable, the expected form and the value`, () => {
        const found = problems({ [name]: value });
        expect(found).toHaveLength(1);
        const [message] = found as [string];
        expect(message.startsWith(`${name}=`)).toBe(true);
        expect(message).toContain(`expected ${EXPECTED_FORMS[name]}`);
        if (SECRET.test(name)) {
          expect(message).toContain(`${name}=(hidden)`);
          expect(message).not.toContain(value);
        } else {
          expect(message).toContain(JSON.stringify(value.slice(0, 120)).slice(0, -1));
        }
        // zod's own words name neither the variable nor a usable form.
        expect(message).not.toMatch(/Invalid input|received NaN|Invalid URL|Invalid option|Too (big|small)/);
      });
    }
  }

  it('state integer ranges that are the accepted ranges', () => {
    const refusedByForm = (name: string, value: number) => problems({ [name]: String(value) }).some((p) => p.includes(`expected ${EXPECTED_FORMS[name]}`));
    let checked = 0;
    for (const [name, form] of Object.entries(EXPECTED_FORMS)) {
      const range = /^an integer from (\d+) to (\d+)/.exec(form);
      const atLeast = /^an integer of at least (\d+)/.exec(form);
      const low = Number((range ?? atLeast)?.[1] ?? NaN);
      if (Number.isNaN(low)) continue;
      expect(refusedByForm(name, low), `${name}=${low}`).toBe(false);
      expect(refusedByForm(name, low - 1), `${name}=${low - 1}`).toBe(true);
      if (range) {
        const high = Number(range[2]);
        expect(refusedByForm(name, high), `${name}=${high}`).toBe(false);
        expect(refusedByForm(name, high + 1), `${name}=${high + 1}`).toBe(true);
      }
      checked += 1;
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });

  it('hide the password of a URL they echo', () => {
    const [message] = problems({ REDIS_URL: 'http://:s3cret-pass@cache:6379' }) as [string];
    expect(message).toContain('REDIS_URL="http://:(hidden)@cache:6379"');
    expect(message).not.toContain('s3cret-pass');
  });

  it('name both variables and what is expected when two settings contradict each other', () => {
    expect(problems({ BATCH_WINDOW_MS: '500', BATCH_WINDOW_MAX_MS: '100' })).toEqual([
      'BATCH_WINDOW_MAX_MS=100: expected at least BATCH_WINDOW_MS (500)',
    ]);
    expect(problems({ UPSTREAM_TIMEOUT_MS: '30000' })).toEqual([
      expect.stringMatching(/^UPSTREAM_TIMEOUT_MS=30000: expected below REQUEST_TIMEOUT_MS \(30000\)/),
    ]);
  });
});

describe('settings bounded by other settings', () => {
  it('warn when BATCH_WINDOW_MAX_MS is clamped, naming it and the timeouts that bound it', () => {
    expect(clampWarnings(loadConfig({}))).toEqual([]);
    expect(clampWarnings(loadConfig({ BATCH_WINDOW_MAX_MS: '10000' }))).toEqual([]);
    const [warning, ...rest] = clampWarnings(loadConfig({ BATCH_WINDOW_MAX_MS: '20000' }));
    expect(rest).toEqual([]);
    expect(warning).toMatch(/^BATCH_WINDOW_MAX_MS=20000 is clamped to 10000 ms/);
    expect(warning).toContain('REQUEST_TIMEOUT_MS=30000');
    expect(warning).toContain('UPSTREAM_TIMEOUT_MS=10000');
  });

  it('warn when the timeouts leave less than BATCH_WINDOW_MS, which then wins', () => {
    const [warning] = clampWarnings(loadConfig({ BATCH_WINDOW_MS: '5000', REQUEST_TIMEOUT_MS: '12000', UPSTREAM_TIMEOUT_MS: '5000' }));
    expect(warning).toMatch(/^BATCH_WINDOW_MAX_MS=10000 is clamped to 5000 ms: .* leaves 2000 ms \(less than BATCH_WINDOW_MS=5000, which wins\)$/);
  });

  it('warn when the general reserve leaves the gateway less than one request', () => {
    expect(clampWarnings(loadConfig({ UPSTREAM_GENERAL_PER_10S: '2', UPSTREAM_GENERAL_RESERVE_PERCENT: '50' }))).toEqual([]);
    expect(clampWarnings(loadConfig({ UPSTREAM_GENERAL_PER_10S: '1', UPSTREAM_GENERAL_RESERVE_PERCENT: '50' }))).toEqual([
      expect.stringMatching(/^UPSTREAM_GENERAL_RESERVE_PERCENT=50 of UPSTREAM_GENERAL_PER_10S=1 leaves .* it uses 1$/),
    ]);
  });
});

describe('.env.example', () => {
  const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  const example = parseEnv(text) as Record<string, string>;

  it('lists exactly the variables config.ts reads', () => {
    expect(Object.keys(example).sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('gives each variable its default: loading the file as it is changes nothing', () => {
    expect(loadConfig(example)).toEqual(loadConfig({}));
  });

  it('puts a one-line comment above every variable', () => {
    const lines = text.split('\n');
    for (const name of CONFIG_VARIABLES) {
      const at = lines.findIndex((line) => line.startsWith(`${name}=`));
      expect(lines[at - 1], name).toMatch(/^# \S/);
    }
  });
});
