import { print } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { InvitationsDocument } from '../../client/generated/graphql.ts';
import { startStack, type Stack } from '../support/stack.ts';

const LIST = print(InvitationsDocument);
let stack: Stack | undefined;
afterEach(() => stack?.close());

describe('the readiness probe and the general budget', () => {
  it('the probe spends from the budget like any list call, and a list query past it is refused without reaching Clerk', async () => {
    // 5 a window, one of which (a fifth) only reconciliation may spend.
    stack = await startStack({ env: { UPSTREAM_GENERAL_PER_10S: '5', UPSTREAM_GENERAL_RESERVE_PERCENT: '0' } });
    expect((await stack.fetch('/readyz')).status).toBe(200);
    const probes = stack.emulator.calls.filter((c) => c.route === 'list').length;
    expect(probes).toBe(1);
    for (let i = 0; i < 3; i += 1) expect((await stack.request(LIST)).body.data?.invitations).toBeDefined();
    const refused = await stack.request(LIST);
    expect(refused.response.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(stack.emulator.calls.filter((c) => c.route === 'list')).toHaveLength(4);
    const { body } = await stack.request('{ gatewayStatus { general { clerkLimit limit remaining resetAt } } }');
    expect(body.data.gatewayStatus.general).toMatchObject({ clerkLimit: 5, limit: 5, remaining: 1 });
    expect(Date.parse(body.data.gatewayStatus.general.resetAt)).toBeGreaterThan(Date.now());
  });

  it('stays ready when the probe itself meets Clerk\'s 429', async () => {
    stack = await startStack();
    stack.emulator.faults.add({ route: 'list', fault: 'rate-limit', retryAfterSeconds: 30, times: 1 });
    const response = await stack.fetch('/readyz');
    expect(await response.json()).toEqual({ status: 'ready', reasons: [] });
    expect(stack.emulator.calls.map((c) => c.status)).toEqual([429]);
  });
});
