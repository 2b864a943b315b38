import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { freePort, startGatewayProcess, testApiKey, type GatewayProcess } from '../support/gateway-process.ts';
import { startStack, type Stack } from '../support/stack.ts';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

let stack: Stack | undefined;
let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await stack?.close();
  await gateway?.stop();
  stack = gateway = undefined;
});

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  return '';
};

describe('/metrics on the public port', () => {
  it('answers an anonymous scrape, and a signed-in caller, with 404 when no METRICS_TOKEN is set', async () => {
    stack = await startStack();
    expect((await stack.fetch('/metrics')).status).toBe(404);
    const signedIn = await stack.fetch('/metrics', { headers: { authorization: `Bearer ${stack.apiKey}` } });
    expect(signedIn.status).toBe(404);
    expect(await signedIn.text()).not.toContain('gateway_');
  });

  it('refuses scrapes without the exact METRICS_TOKEN with 401', async () => {
    stack = await startStack({ env: { METRICS_TOKEN } });
    const attempts: Record<string, string | undefined> = {
      none: undefined,
      'an API key': `Bearer ${stack.apiKey}`,
      'a prefix': `Bearer ${METRICS_TOKEN.slice(0, -1)}`,
      'a longer token': `Bearer ${METRICS_TOKEN}x`,
      'same length, one character off': `Bearer ${METRICS_TOKEN.slice(0, -1)}X`,
      'basic scheme': `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}`,
      'empty bearer': 'Bearer ',
    };
    for (const [name, authorization] of Object.entries(attempts)) {
      const response = await stack.fetch('/metrics?format=text', { headers: authorization ? { authorization } : {} });
      expect({ name, status: response.status }).toEqual({ name, status: 401 });
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.text()).not.toContain('gateway_');
    }
    const ok = await stack.fetch('/metrics', { headers: { authorization: `bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('gateway_build_info');
  });
});

describe('the metrics listener (METRICS_PORT)', () => {
  it('serves metrics on its own loopback port, which serves nothing else, while the public port answers 404', async () => {
    const key = testApiKey();
    const metricsPort = await freePort();
    gateway = await startGatewayProcess({ GATEWAY_API_KEYS: key.entry, METRICS_PORT: String(metricsPort) });
    const metricsUrl = `http://127.0.0.1:${metricsPort}`;
    expect(metricsUrl).not.toBe(gateway.url);
    expect(gateway.output()).toContain(`metrics: ${metricsUrl}/metrics`);

    const call = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { ...key.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query GatewayStatus { __typename }' }),
    });
    expect(call.status).toBe(200);
    expect((await fetch(`${gateway.url}/metrics`)).status).toBe(404);

    const scrape = await fetch(`${metricsUrl}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await scrape.text();
    // The API port's traffic shows on the metrics port: one registry, two listeners.
    expect(text).toMatch(/^gateway_graphql_requests_total\{operationName="GatewayStatus",operationType="query"\} 1$/m);
    expect(text).toMatch(/^gateway_process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^gateway_nodejs_heap_size_used_bytes \d/m);
    expect(text).toMatch(/^gateway_nodejs_eventloop_lag_seconds \d/m);
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    expect(text).toContain(`gateway_build_info{version="${version}",node_version="${process.version}"} 1`);
    // No unprefixed default metrics alongside the prefixed ones.
    expect(text).not.toMatch(/^(process|nodejs)_/m);

    for (const path of ['/graphql', '/healthz', '/readyz', '/']) {
      expect({ path, status: (await fetch(`${metricsUrl}${path}`)).status }).toEqual({ path, status: 404 });
    }
    const mutation = await fetch(`${metricsUrl}/graphql`, {
      method: 'POST',
      headers: { ...key.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(mutation.status).toBe(404);
  }, 60_000);

  it('asks for METRICS_TOKEN on the metrics port too when one is set', async () => {
    const metricsPort = await freePort();
    gateway = await startGatewayProcess({ METRICS_PORT: String(metricsPort), METRICS_TOKEN });
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    expect((await fetch(metricsUrl)).status).toBe(401);
    expect((await fetch(metricsUrl, { headers: { authorization: `Bearer ${METRICS_TOKEN}-` } })).status).toBe(401);
    expect((await fetch(metricsUrl, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
    expect(gateway.output()).not.toContain(METRICS_TOKEN);
  }, 60_000);
});

describe('metrics settings', () => {
  it('default to no metrics listener, loopback, no token and no extra names', () => {
    expect(loadConfig({}).metrics).toEqual({ enabled: true, port: undefined, host: '127.0.0.1', token: undefined, operationNames: [] });
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0', METRICS_OPERATION_NAMES: 'ImportUsers, Sync_2' }).metrics).toMatchObject({
      port: 9464,
      host: '0.0.0.0',
      operationNames: ['ImportUsers', 'Sync_2'],
    });
  });

  it('reject bad values naming the variable and the value, never echoing the token', () => {
    expect(problems({ METRICS_PORT: 'nine' })).toMatch(/^METRICS_PORT="nine": /);
    expect(problems({ METRICS_PORT: '70000' })).toMatch(/^METRICS_PORT="70000": /);
    expect(problems({ METRICS_PORT: '4000', PORT: '4000' })).toMatch(/^METRICS_PORT=4000: expected a port other than PORT \(4000\)/);
    expect(problems({ METRICS_HOST: 'local host' })).toMatch(/^METRICS_HOST="local host": not an IP address or host name; expected an IP address or host name/);
    expect(problems({ METRICS_OPERATION_NAMES: 'Good,bad-name' })).toMatch(/^METRICS_OPERATION_NAMES="Good,bad-name": "bad-name" is not a GraphQL operation name/);
    expect(problems({ METRICS_OPERATION_NAMES: `A${'b'.repeat(100)}` })).toMatch(/^METRICS_OPERATION_NAMES=.*at most 100 characters/);
    expect(problems({ METRICS: 'false', METRICS_PORT: '9464' })).toMatch(/^METRICS=false: turns metrics off, yet METRICS_PORT=9464 is set/);
    const short = problems({ METRICS_TOKEN: 'short secret' });
    expect(short).toMatch(/^METRICS_TOKEN=\(hidden\): expected 16 to 512 printable characters/);
    expect(short).not.toContain('short secret');
  });
});
