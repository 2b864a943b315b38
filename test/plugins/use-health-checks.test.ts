import { describe, expect, it } from 'vitest';
import { useHealthChecks } from '../../src/plugins/use-health-checks.ts';
import { pluginYoga, post, send } from '../support/plugin-yoga.ts';

/** A readiness probe whose answer the test sets, counting how often it is asked. */
function healthYoga(reasons: () => Promise<string[]> = async () => []) {
  const asked = { count: 0 };
  const { yoga, calls } = pluginYoga([
    useHealthChecks({
      notReadyReasons: () => {
        asked.count += 1;
        return reasons();
      },
    }),
  ]);
  return { yoga, calls, asked };
}

describe('useHealthChecks', () => {
  it('/healthz answers 200 {status: ok} without asking for readiness, even when not ready', async () => {
    const { yoga, asked } = healthYoga(async () => ['redis down']);
    const { response, body } = await send(yoga, '/healthz');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(body).toEqual({ status: 'ok' });
    expect(asked.count).toBe(0);
  });

  it('/readyz answers 200 ready with no reasons', async () => {
    const { yoga, asked } = healthYoga();
    const { response, body } = await send(yoga, '/readyz');
    expect(response.status).toBe(200);
    expect(body).toEqual({ status: 'ready', reasons: [] });
    expect(asked.count).toBe(1);
  });

  it('/readyz answers 503 with every reason while the gateway cannot serve', async () => {
    const { yoga } = healthYoga(async () => ['redis unreachable', 'shutting down']);
    const { response, body } = await send(yoga, '/readyz');
    expect(response.status).toBe(503);
    expect(body).toEqual({ status: 'not ready', reasons: ['redis unreachable', 'shutting down'] });
  });

  it('asks afresh on every probe: readiness can come back', async () => {
    let reasons = ['starting'];
    const { yoga } = healthYoga(async () => reasons);
    expect((await send(yoga, '/readyz')).response.status).toBe(503);
    reasons = [];
    expect((await send(yoga, '/readyz')).response.status).toBe(200);
  });

  it('never answers ready when the readiness check itself fails', async () => {
    const { yoga } = healthYoga(async () => {
      throw new Error('probe broke');
    });
    const answer = await send(yoga, '/readyz');
    expect(answer.response.status).toBe(503);
    // The thrown message stays in the process: it may name internals the balancer has no business with.
    expect(answer.body).toEqual({ status: 'not ready', reasons: ['readiness check failed'] });
  });

  it('matches the path only: any method, any query string; other paths go to yoga', async () => {
    const { yoga, asked } = healthYoga();
    expect((await send(yoga, '/healthz?verbose=1', { method: 'POST', body: 'x' })).body).toEqual({ status: 'ok' });
    expect((await send(yoga, '/readyz?x=%00')).body).toEqual({ status: 'ready', reasons: [] });
    for (const path of ['/healthz/', '/HEALTHZ', '/readyz/x', '/graphql/healthz']) {
      expect((await send(yoga, path)).response.status, path).toBe(404);
    }
    expect(asked.count).toBe(1);
  });

  it('leaves GraphQL requests alone and does not ask for readiness on them', async () => {
    const { yoga, asked } = healthYoga(async () => ['not ready']);
    expect((await post(yoga, '{ hello }')).body).toEqual({ data: { hello: 'world' } });
    expect(asked.count).toBe(0);
  });
});
