import { print } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { InvitationsDocument } from '../../client/generated/graphql.ts';
import { startStack, type Stack } from '../support/stack.ts';

const LIST = print(InvitationsDocument);
let stack: Stack | undefined;
afterEach(() => stack?.close());

describe('the Clerk reachability probe and the general budget', () => {
  it('the probe spends from the budget like any list call, and a list query past it is refused without reaching Clerk', async () => {
    // 5 a window, one of which (a fifth) only reconciliation may spend.
    stack = await startStack({ env: { UPSTREAM_GENERAL_PER_10S: '5', UPSTREAM_GENERAL_RESERVE_PERCENT: '0' } });
    expect((await stack.request('{ gatewayStatus { clerk { reachable } } }')).body.data.gatewayStatus.clerk.reachable).toBe(true);
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
});
