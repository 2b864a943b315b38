import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { useAuthentication } from '../../src/plugins/use-authentication.ts';
import { useRequestLogging } from '../../src/plugins/use-request-logging.ts';
import { pluginYoga, post, send } from '../support/plugin-yoga.ts';

/** The plugin writing to a captured pino logger; `lines()` are the access lines it wrote. */
function loggingYoga(options: { batching?: boolean; authenticated?: string } = {}) {
  const written: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void written.push(line) } });
  const plugins = [useRequestLogging({ logger })];
  if (options.authenticated) {
    const id = options.authenticated;
    plugins.push(useAuthentication({ logger: createLogger({ level: 'silent' }), authenticate: async () => ({ ok: true, source: 'authorization', caller: { id, kind: 'apikey', inviter: true } }) }));
  }
  const { yoga } = pluginYoga(plugins, { yoga: { batching: options.batching ?? false } });
  return { yoga, lines: () => written.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('useRequestLogging', () => {
  it('writes one info line per request: request id, method, path, status, whole ms, and the summary as msg', async () => {
    const { yoga, lines } = loggingYoga();
    await post(yoga, 'query Hello { hello }', { headers: { 'x-request-id': 'req-log-1' } });
    expect(lines()).toHaveLength(1);
    const [line] = lines();
    expect(line).toMatchObject({ level: 30, requestId: 'req-log-1', method: 'POST', path: '/graphql', status: 200, operationName: 'Hello', msg: 'POST /graphql 200' });
    expect(Number.isInteger(line!['ms']) && (line!['ms'] as number) >= 0).toBe(true);
    expect(line!['caller']).toBeUndefined();
  });

  it('logs refusals and unknown paths with their status', async () => {
    const { yoga, lines } = loggingYoga();
    await post(yoga, '{ nope }');
    await send(yoga, '/nowhere?secret=1');
    await send(yoga, '/graphql', { method: 'PUT' });
    expect(lines().map((l) => [l['method'], l['path'], l['status']])).toEqual([
      ['POST', '/graphql', 400],
      ['GET', '/nowhere', 404],
      ['PUT', '/graphql', 405],
    ]);
    // The query string is never logged: it can carry a whole GraphQL document and its variables.
    expect(JSON.stringify(lines())).not.toContain('secret');
  });

  it('leaves out probes and scrapes (/healthz, /readyz, /metrics)', async () => {
    const { yoga, lines } = loggingYoga();
    for (const path of ['/healthz', '/readyz', '/metrics', '/metrics?x=1']) await send(yoga, path);
    expect(lines()).toEqual([]);
    await send(yoga, '/healthz/');
    expect(lines()).toHaveLength(1);
  });

  it('names the operations of a batch, at most five, in order', async () => {
    const { yoga, lines } = loggingYoga({ batching: true });
    const batch = Array.from({ length: 7 }, (_, i) => ({ query: `query Op${i} { hello }` }));
    await send(yoga, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
    expect(lines()[0]!['operationName']).toBe('Op0,Op1,Op2,Op3,Op4');
  });

  it('keeps the claimed operation name of a request that never runs, and drops one that is not a GraphQL name', async () => {
    const { yoga, lines } = loggingYoga();
    await post(yoga, 'query Real { hello }', { operationName: 'Other' });
    await post(yoga, '{ hello }', { operationName: 'a,b' });
    expect(lines().map((l) => l['operationName'])).toEqual(['Other', undefined]);
  });

  it('names the caller that useAuthentication admitted', async () => {
    const { yoga, lines } = loggingYoga({ authenticated: 'apikey:ci' });
    await post(yoga, '{ hello }');
    expect(lines()[0]).toMatchObject({ caller: 'apikey:ci', operationName: 'Anonymous' });
  });

  it('never logs the credential, cookies or the body', async () => {
    const { yoga, lines } = loggingYoga();
    await post(yoga, 'query ($e: JSON) { echo(value: $e) }', {
      variables: { e: 'zqxlovelace@example.com' },
      headers: { authorization: 'Bearer gwk_secret_value', cookie: '__session=eyJx.eyJy.z', 'x-api-key': 'gwk_other' },
    });
    const text = JSON.stringify(lines());
    for (const secret of ['gwk_secret_value', 'eyJx', 'gwk_other', 'zqxlovelace@example.com', 'zqxlovelace']) expect(text).not.toContain(secret);
  });
});
