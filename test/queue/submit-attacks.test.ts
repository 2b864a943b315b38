import { generateKeyPairSync, sign } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubmitOrganizationInvitationsDocument } from '../../client/generated/graphql.js';
import { APP_ORIGIN, now, v1, v2 } from '../auth/tokens.ts';
import { testApiKey } from '../support/gateway-process.ts';
import { startStack, type HeaderOverrides, type Stack } from '../support/stack.ts';
import { allResults, CANCEL, JOB, JOBS, PROGRESS, SUBMIT, waitFinished, type JobView } from './queue-client.ts';

// The queue's submit fields take the same hostile input as createInvitations, but answer before
// anything is sent: whatever is refused must be refused at submit, and whatever is queued must reach
// Clerk once, whatever Clerk's edge answers meanwhile.
const SUBMIT_ORG = print(SubmitOrganizationInvitationsDocument);
const QUICK = { BATCH_WINDOW_MS: '10', BATCH_WINDOW_MAX_MS: '200' };
type Body = { data?: any; errors?: Array<{ message: string; extensions?: Record<string, any> }> };

const sender = (stack: () => Stack) => async (query: string, variables: Record<string, unknown>, headers?: HeaderOverrides) =>
  (await stack().request(query, variables, headers)).body as Body;
const codeOf = (body: Body) => body.errors?.[0]?.extensions?.['code'];
const jobIds = async (send: ReturnType<typeof sender>, headers?: HeaderOverrides) =>
  ((await send(JOBS, { first: 100 }, headers)).data?.invitationJobs.edges ?? []).map((e: { node: JobView }) => e.node.id) as string[];
/** The addresses a call to the emulator carried, in a body of one item or many. */
const addressesIn = (body: unknown) => [body].flat().map((b) => (b as { email_address?: string } | null)?.email_address);
const sentTo = (stack: Stack, address: string) => stack.emulator.calls.filter((c) => addressesIn(c.body).includes(address)).length;

describe('hostile metadata through the submit fields', () => {
  // Raised so a body of several MB reaches the resolvers; one byte past it is the other case.
  const LIMIT = 6 * 1024 * 1024;
  let stack: Stack;
  const send = sender(() => stack);
  beforeAll(async () => {
    stack = await startStack({ env: { ...QUICK, MAX_REQUEST_BODY_BYTES: String(LIMIT) } });
    stack.emulator.seedOrganization({ id: 'org_meta', name: 'Meta' });
  });
  afterAll(() => stack?.close());

  async function raw(body: string) {
    const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${stack.apiKey}` };
    const response = await stack.fetch('/graphql', { method: 'POST', headers, body });
    return { status: response.status, body: (await response.json()) as Body };
  }

  // Bodies are written by hand: JSON.stringify itself overflows on values this deep.
  const deepJson = (levels: number) => `${'{"a":'.repeat(levels - 1)}{"leaf":1}${'}'.repeat(levels - 1)}`;
  const targets = [
    { field: 'submitInvitations', query: SUBMIT, meta: 'publicMetadata', org: '', role: '' },
    { field: 'submitOrganizationInvitations', query: SUBMIT_ORG, meta: 'publicMetadata', org: '"organizationId":"org_meta",', role: ',"role":"org:member"' },
    { field: 'submitOrganizationInvitations', query: SUBMIT_ORG, meta: 'privateMetadata', org: '"organizationId":"org_meta",', role: ',"role":"org:member"' },
  ] as const;
  const bodyWith = (t: (typeof targets)[number], tag: string, metadataJson: string) =>
    `{"query":${JSON.stringify(t.query)},"variables":{${t.org}"invitations":[` +
    `{"emailAddress":"bad-${tag}@example.com","${t.meta}":${metadataJson}${t.role}},{"emailAddress":"good-${tag}@example.com"${t.role}}]}}`;

  /** The bad item settles INVALID_INPUT naming field and item, the good one is created once, nothing of the bad one is sent. */
  async function expectSettledApart(t: (typeof targets)[number], tag: string, status: number, body: Body, reason: RegExp) {
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const job = body.data[t.field] as JobView;
    expect(job).toMatchObject({ total: 2, failedCount: 1 });
    const [done] = await waitFinished(send, [job.id], 15_000);
    expect(done).toMatchObject({ state: 'DONE', createdCount: 1, failedCount: 1, pendingCount: 0 });
    const { edges } = await allResults(send, job.id);
    const message = expect.stringMatching(new RegExp(`^invitations\\[0\\]\\.${t.meta}: ${reason.source}`));
    expect(edges[0]!.result).toMatchObject({ __typename: 'InvitationFailed', code: 'INVALID_INPUT', message });
    expect(edges[1]!.result?.__typename).toBe('InvitationCreated');
    const stored = t.field === 'submitInvitations' ? stack.emulator.invitations() : stack.emulator.organizationInvitations('org_meta');
    expect(stored.filter((i) => i.emailAddress === `good-${tag}@example.com`).map((i) => i.id)).toEqual([edges[1]!.result!.invitation!.id]);
    expect(sentTo(stack, `bad-${tag}@example.com`)).toBe(0);
  }

  const deepCases = targets.flatMap((t) => [1_000, 100_000].map((levels) => [`${t.field} ${t.meta}`, levels, t] as const));
  const isPrivateDeep = ([, levels, t]: (typeof deepCases)[number]) => t.meta === 'privateMetadata' && levels === 100_000;

  it.each(deepCases.filter((c) => !isPrivateDeep(c)))('%s nested %i levels, as a variable: that item alone settles INVALID_INPUT', async (_name, levels, t) => {
    const tag = `${t.meta}-${levels}-${t.field.length}`.toLowerCase();
    const { status, body } = await raw(bodyWith(t, tag, deepJson(levels)));
    await expectSettledApart(t, tag, status, body, /nests deeper than 32 levels/);
  });

  // The idempotency fingerprint, taken at every submit, must not recurse through metadata past the
  // cap: JSON.stringify overflows somewhere past 2,000 levels and would fail the whole submit.
  it('submitOrganizationInvitations privateMetadata nested 100000 levels, as a variable: that item alone settles INVALID_INPUT', async () => {
    const t = targets[2];
    const { status, body } = await raw(bodyWith(t, 'private-deep', deepJson(100_000)));
    await expectSettledApart(t, 'private-deep', status, body, /nests deeper than 32 levels/);
  });

  it.each(targets.map((t) => [`${t.field} ${t.meta}`, t] as const))('%s of 5 MB: that item alone settles INVALID_INPUT', async (_name, t) => {
    const tag = `big-${t.meta}-${t.field.length}`.toLowerCase();
    const { status, body } = await raw(bodyWith(t, tag, JSON.stringify({ blob: 'x'.repeat(5 * 1024 * 1024) })));
    await expectSettledApart(t, tag, status, body, /is \d+ bytes serialized, over the 8192-byte limit/);
  });

  it.each(['submitInvitations', 'submitOrganizationInvitations'])('%s with metadata nested 5,000 levels inline: 400 naming the field', async (field) => {
    const literal = `${'{a:'.repeat(4_999)}{leaf:1}${'}'.repeat(4_999)}`;
    const org = field === 'submitInvitations' ? '' : 'organizationId: "org_meta", ';
    const role = field === 'submitInvitations' ? '' : ', role: "org:member"';
    const before = await jobIds(send);
    const { status, body } = await raw(JSON.stringify({ query: `mutation { ${field}(${org}invitations: [{ emailAddress: "inline@example.com"${role}, publicMetadata: ${literal} }]) { id } }` }));
    expect(status).toBe(400);
    expect(codeOf(body)).toBe('BAD_USER_INPUT');
    expect(body.errors![0]!.message).toMatch(new RegExp(`^${field}\\.invitations\\.publicMetadata\\.a: nested deeper than 100 levels`));
    expect(await jobIds(send)).toEqual(before);
    expect(sentTo(stack, 'inline@example.com')).toBe(0);
  });

  it.each(targets.map((t) => [`${t.field} ${t.meta}`, t] as const))('%s in a body one byte past the limit: 413, no job', async (_name, t) => {
    const head = bodyWith(t, 'over', '{"blob":""}');
    const body = bodyWith(t, 'over', JSON.stringify({ blob: 'x'.repeat(LIMIT + 1 - head.length) }));
    expect(body.length).toBe(LIMIT + 1);
    const before = await jobIds(send);
    const answer = await raw(body);
    expect(answer.status).toBe(413);
    expect(codeOf(answer.body)).toBe('REQUEST_ENTITY_TOO_LARGE');
    expect(await jobIds(send)).toEqual(before);
    expect(sentTo(stack, 'good-over@example.com')).toBe(0);
  });
});

describe('odd but correctly signed tokens on the queue fields', () => {
  // A key of the test's own stands for the instance's, so claims of any shape and time can be signed
  // (the SDK's signJwt would stamp its own iat).
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = (claims: Record<string, unknown>) => {
    const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'ins_test' })}.${b64({ iat: now(), nbf: now() - 5, exp: now() + 60, ...claims })}`;
    return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  };
  const other = testApiKey('other');
  const MALLORY = 'user_mallory';
  let stack: Stack;
  let [alice, bob] = ['', ''];
  const send = sender(() => stack);
  beforeAll(async () => {
    stack = await startStack({ env: { ...QUICK, CLERK_JWT_KEY: publicKey.export({ format: 'pem', type: 'spki' }).toString(), GATEWAY_API_KEYS: other.entry } });
    stack.emulator.seedOrganization({ id: 'org_1', name: 'Acme' });
    [alice, bob] = stack.emulator.seedUsers(['alice@example.com', 'bob@example.com']).map((u) => u.id) as [string, string];
    for (const id of [alice, bob]) stack.emulator.seedMembership('org_1', id, 'org:admin');
  });
  afterAll(() => stack?.close());

  const bearer = async (claims: Record<string, unknown>) => ({ authorization: `Bearer ${signed(claims)}` });
  const apiKey = () => ({ authorization: `Bearer ${stack.apiKey}` });
  const submitInstance = (headers: HeaderOverrides, address: string) => send(SUBMIT, { invitations: [{ emailAddress: address }] }, headers);
  const submitOrg = (headers: HeaderOverrides, address: string) => send(SUBMIT_ORG, { organizationId: 'org_1', invitations: [{ emailAddress: address, role: 'org:member' }] }, headers);

  type Refusal = [name: string, claims: () => Record<string, unknown>, instance: string | null, org: string];
  const o = (extra: Record<string, unknown>) => ({ o: { id: 'org_1', rol: 'admin', slg: 'acme', per: 'read,manage', fpm: '3', ...extra } });
  const refusals: Refusal[] = [
    ['org_role an array', () => v1('org:admin', { sub: MALLORY, org_role: ['org:admin'] }), 'UNAUTHENTICATED', 'UNAUTHENTICATED'],
    ['org_id an object naming the organization', () => v1('org:admin', { sub: MALLORY, org_id: { id: 'org_1' } }), 'UNAUTHENTICATED', 'UNAUTHENTICATED'],
    ['o.fpm not decimal', () => v2('admin', { sub: MALLORY, ...o({ fpm: 'abc' }) }), 'UNAUTHENTICATED', 'UNAUTHENTICATED'],
    ['sub a number', () => v1('org:admin', { sub: 42 }), 'UNAUTHENTICATED', 'UNAUTHENTICATED'],
    ['expired a minute ago, past the 5 s skew', () => v1('org:admin', { sub: MALLORY, iat: now() - 600, exp: now() - 60 }), 'UNAUTHENTICATED', 'UNAUTHENTICATED'],
    ['valid only a minute from now', () => v1('org:admin', { sub: MALLORY, nbf: now() + 60 }), 'UNAUTHENTICATED', 'UNAUTHENTICATED'],
    ['issued a minute from now', () => v1('org:admin', { sub: MALLORY, iat: now() + 60 }), 'UNAUTHENTICATED', 'UNAUTHENTICATED'],
    ['a member without the inviter role', () => v1('org:member', { sub: MALLORY }), 'FORBIDDEN', 'FORBIDDEN'],
    ['a v2 member with read only', () => v2('member', { sub: MALLORY, ...o({ rol: 'member', fpm: '1' }) }), 'FORBIDDEN', 'FORBIDDEN'],
    ['no active organization', () => ({ sub: MALLORY, azp: APP_ORIGIN }), 'FORBIDDEN', 'FORBIDDEN'],
    // An admin anywhere may queue instance invitations (INVITER_ORGS is unset), never into another organization.
    ['an admin of another organization', () => v1('org:admin', { sub: MALLORY, org_id: 'org_2' }), null, 'FORBIDDEN'],
    ['a machine not in INVITER_MACHINES', () => ({ sub: 'mch_mallory', scopes: '' }), 'FORBIDDEN', 'FORBIDDEN'],
  ];

  it.each(refusals)('%s: both submit fields refused, no job, nothing sent', async (_name, claims, instance, org) => {
    const headers = await bearer(claims());
    const mallory = await bearer(v1('org:admin', { sub: MALLORY }));
    const calls = stack.emulator.calls.length;
    const answers = [...(instance ? [[await submitInstance(headers, 'target@example.com'), instance] as const] : []), [await submitOrg(headers, 'target@example.com'), org] as const];
    for (const [body, code] of answers) {
      expect(body.errors?.map((e) => e.extensions?.['code'])).toEqual([code]);
      expect(body.data ?? null).toBeNull();
    }
    expect(await jobIds(send, mallory)).toEqual([]);
    expect(stack.emulator.calls.length).toBe(calls);
  });

  it.each([
    ['expired 2 s ago', () => ({ iat: now() - 600, exp: now() - 2 })],
    ['valid from 2 s from now', () => ({ nbf: now() + 2 })],
  ])('%s, within the 5 s skew: both submit fields accepted', async (name, times) => {
    const headers = await bearer(v1('org:admin', { sub: alice, ...times() }));
    const tag = name.replace(/\W+/g, '-');
    expect((await submitInstance(headers, `skew-${tag}@example.com`)).data?.submitInvitations.total).toBe(1);
    expect((await submitOrg(headers, `skew-${tag}@example.com`)).data?.submitOrganizationInvitations.total).toBe(1);
  });

  async function progress(id: string, headers: Record<string, string>) {
    const body = JSON.stringify({ query: PROGRESS, variables: { id } });
    const response = await stack.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers }, body });
    return response.text();
  }

  it('keeps a job from every other caller: another admin of the organization, the API key, another API key', async () => {
    const [aliceH, bobH] = await Promise.all([bearer(v1('org:admin', { sub: alice })), bearer(v1('org:admin', { sub: bob }))]);
    const owned: Array<[JobView, Record<string, string>, Array<Record<string, string>>]> = [
      [(await submitOrg(aliceH, 'iso-org@example.com')).data.submitOrganizationInvitations, aliceH, [bobH, apiKey(), other.headers]],
      [(await submitInstance(aliceH, 'iso-alice@example.com')).data.submitInvitations, aliceH, [bobH, apiKey(), other.headers]],
      [(await submitInstance(apiKey(), 'iso-key@example.com')).data.submitInvitations, apiKey(), [aliceH, bobH, other.headers]],
    ];
    for (const [job, , strangers] of owned) {
      for (const headers of strangers) {
        expect((await send(JOB, { id: job.id, first: 1 }, headers)).data.invitationJob).toBeNull();
        expect(codeOf(await send(CANCEL, { id: job.id }, headers))).toBe('NOT_FOUND');
        expect(await jobIds(send, headers)).not.toContain(job.id);
        const events = await progress(job.id, headers);
        expect(events).toContain('"NOT_FOUND"');
        expect(events).not.toContain('"state"');
      }
    }
    // No stranger's cancel took hold: every job ends with its item created.
    for (const [job, owner] of owned) {
      const [done] = await waitFinished((q, v) => send(q, v, owner), [job.id], 15_000);
      expect(done).toMatchObject({ state: 'DONE', createdCount: 1 });
    }
  });

  it("gives another caller who reuses an idempotency key a job of their own, without a word about the first caller's", async () => {
    const [aliceH, bobH] = await Promise.all([bearer(v1('org:admin', { sub: alice })), bearer(v1('org:admin', { sub: bob }))]);
    const first = (await send(SUBMIT, { invitations: [{ emailAddress: 'key-a@example.com' }], idempotencyKey: 'import-1' }, aliceH)).data.submitInvitations as JobView;
    for (const [headers, address] of [[bobH, 'key-b@example.com'], [apiKey(), 'key-c@example.com']] as const) {
      const body = await send(SUBMIT, { invitations: [{ emailAddress: address }], idempotencyKey: 'import-1' }, headers);
      expect(body.errors).toBeUndefined();
      expect(body.data.submitInvitations.id).not.toBe(first.id);
    }
    expect((await send(JOB, { id: first.id, first: 1 }, aliceH)).data.invitationJob.total).toBe(1);
  });
});

describe('edge pages and cut connections while an organization job drains', () => {
  let stack: Stack;
  const send = sender(() => stack);
  beforeAll(async () => {
    // The gateway looks a second time one upstream timeout after a call Clerk did not answer: longer
    // than the 300 ms a commit behind an edge page takes to land.
    // A short request timeout makes a call surely over (and an unknown item due for another look)
    // after 3 + 1 + 1 s instead of 41 s.
    stack = await startStack({ env: { ...QUICK, UPSTREAM_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '3000' } });
    for (const id of ['org_edge', 'org_down', 'org_cancel']) stack.emulator.seedOrganization({ id, name: id });
  });
  afterAll(() => stack?.close());

  const submit = async (organizationId: string, n: number) => {
    const invitations = Array.from({ length: n }, (_, i) => ({ emailAddress: `${organizationId}-${i}@example.com`.replace('_', '-'), role: 'org:member' }));
    return (await send(SUBMIT_ORG, { organizationId, invitations })).data.submitOrganizationInvitations as JobView;
  };

  /** Every item settled once, nobody invited twice, and what Clerk holds is exactly what the job reports created. */
  async function expectAccounted(organizationId: string, job: JobView) {
    const [done] = await waitFinished(send, [job.id], 40_000);
    await stack.emulator.settleDelayedCommits();
    const { edges } = await allResults(send, job.id);
    expect(done).toMatchObject({ state: 'DONE', pendingCount: 0 });
    expect(done!.createdCount + done!.failedCount).toBe(job.total);
    expect(edges.map((e) => e.index)).toEqual([...Array(job.total).keys()]);
    expect(edges.filter((e) => e.result === null)).toEqual([]);
    const stored = stack.emulator.organizationInvitations(organizationId);
    const perAddress = new Map<string, number>();
    for (const i of stored) perAddress.set(i.emailAddress, (perAddress.get(i.emailAddress) ?? 0) + 1);
    expect([...perAddress].filter(([, n]) => n > 1)).toEqual([]);
    const reported = edges.filter((e) => e.result?.__typename === 'InvitationCreated').map((e) => `${e.emailAddress} ${e.result!.invitation!.id}`);
    expect(reported).toHaveLength(done!.createdCount);
    expect(reported.sort()).toEqual(stored.map((i) => `${i.emailAddress} ${i.id}`).sort());
    return { done: done!, edges };
  }

  it('reports every invitation an edge page, a proxy page or a cut connection hid, and sends none twice', async () => {
    stack.emulator.faults.add(
      { route: 'org-bulk', fault: 'edge-after-commit', edgeStatus: 502, times: 1 },
      { route: 'org-bulk', fault: 'malformed-body', variant: 'html-502', times: 1 },
      { route: 'org-bulk', fault: 'reset-after-commit', times: 1 },
      { route: 'org-bulk', fault: 'edge-before-commit', edgeStatus: 504, times: 1 },
      { route: 'org-bulk', fault: 'edge-during-commit', edgeStatus: 524, commitDelayMs: 300, times: 1 },
    );
    const job = await submit('org_edge', 50);
    const { done } = await expectAccounted('org_edge', job);
    expect(stack.emulator.faults.list()).toEqual([]);
    // Clerk's list answered every lookup, so every item is known to be created.
    expect(done.createdCount).toBe(50);
  });

  it('keeps items Clerk never received while its edge is down, and creates every one once it is back', async () => {
    stack.emulator.faults.add({ route: 'org-bulk', fault: 'edge-before-commit' }, { route: 'org-single', fault: 'edge-before-commit' });
    const job = await submit('org_down', 40);
    const faulted = () => stack.emulator.calls.filter((c) => c.fault === 'edge-before-commit' && c.path.includes('org_down'));
    const met = () => {
      const times = new Map<string, number>();
      for (const address of faulted().flatMap((c) => addressesIn(c.body))) times.set(address!, (times.get(address!) ?? 0) + 1);
      return times;
    };
    // Down long enough that some items meet the edge twice: their outcome is unknown to a request,
    // and the queue looks them up again later instead of settling them so.
    for (const giveUp = Date.now() + 20_000; ![...met().values()].some((n) => n >= 2) && Date.now() < giveUp; ) await new Promise((r) => setTimeout(r, 20));
    expect([...met().values()].some((n) => n >= 2)).toBe(true);
    stack.emulator.faults.clear();
    const { done, edges } = await expectAccounted('org_down', job);
    expect(edges.filter((e) => e.result?.__typename !== 'InvitationCreated').map((e) => `${e.emailAddress}: ${e.result?.code}`)).toEqual([]);
    expect(done.createdCount).toBe(40);
  });

  it('sends nothing for an item waiting for its second look once the job is cancelled', async () => {
    stack.emulator.faults.add({ route: 'org-bulk', fault: 'edge-before-commit' }, { route: 'org-single', fault: 'edge-before-commit' });
    const job = await submit('org_cancel', 10);
    const twice = () => {
      const times = new Map<string, number>();
      const calls = stack.emulator.calls.filter((c) => c.fault === 'edge-before-commit' && c.path.includes('org_cancel'));
      for (const address of calls.flatMap((c) => addressesIn(c.body))) times.set(address!, (times.get(address!) ?? 0) + 1);
      return [...times.values()].some((n) => n >= 2);
    };
    for (const giveUp = Date.now() + 20_000; !twice() && Date.now() < giveUp; ) await new Promise((r) => setTimeout(r, 20));
    expect(twice()).toBe(true);
    expect((await send(CANCEL, { id: job.id })).data.cancelInvitationJob.state).toBe('CANCELLED');
    stack.emulator.faults.clear();
    const sentBefore = stack.emulator.calls.filter((c) => c.path.includes('org_cancel') && c.fault === undefined).length;
    const [done] = await waitFinished(send, [job.id], 20_000);
    expect(done!.pendingCount).toBe(0);
    expect(stack.emulator.organizationInvitations('org_cancel')).toEqual([]);
    expect(stack.emulator.calls.filter((c) => c.path.includes('org_cancel') && c.fault === undefined && c.method === 'POST').length).toBe(0);
    expect(sentBefore).toBe(0);
  });
});
