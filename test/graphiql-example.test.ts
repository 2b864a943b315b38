/**
 * GraphiQL's tabs as the page receives them, run against an in-process gateway: outside demo mode
 * every tab is harmless to run; in demo mode "Queue an import" queues a job that runs to the end.
 */
import { Kind, parse, validate } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { graphiqlDefaults } from '../src/graphiql-example.ts';
import { schema } from '../src/schema/index.ts';
import { startStack, type Stack } from './support/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

interface PageOptions {
  defaultQuery: string;
  headers: string;
  defaultTabs?: { query: string; headers?: string; variables?: string }[];
}

/** The options yoga writes into the GraphiQL page. */
async function pageOptions(s: Stack): Promise<PageOptions> {
  const html = await (await s.fetch('/graphql', { headers: { accept: 'text/html' } })).text();
  const match = /renderYogaGraphiQL\(\s*[^,]+,\s*(\{.*\}),\s*\);/s.exec(html);
  if (!match) throw new Error('no GraphiQL options in the page');
  return JSON.parse(match[1]!) as PageOptions;
}

const operationsOf = (query: string) =>
  parse(query).definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [{ type: d.operation, name: d.name?.value }] : []));

/** One operation of a tab's document, run as GraphiQL runs it (the whole document, an operation name). */
async function runTab(s: Stack, query: string, operationName: string, variables?: Record<string, unknown>) {
  const response = await s.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${s.apiKey}` },
    body: JSON.stringify({ query, operationName, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { message: string }[] };
}

describe('GraphiQL tabs', () => {
  it('outside demo mode: a second tab, "Queue an import", that only reads and invites nobody when run', async () => {
    stack = await startStack({ env: { GRAPHIQL: 'true' } });
    const options = await pageOptions(stack);
    expect(options.defaultTabs).toHaveLength(2);
    const [status, queue] = options.defaultTabs!;
    expect(status!.query).toBe(options.defaultQuery);
    expect(queue!.query).toMatch(/^# Queue an import/);
    for (const tab of options.defaultTabs!) {
      expect(validate(schema, parse(tab.query))).toEqual([]);
      expect(operationsOf(tab.query).map((o) => o.type)).not.toContain('mutation');
      expect(JSON.parse(tab.headers!)).toEqual({ Authorization: 'Bearer <key>' });
    }
    expect(operationsOf(queue!.query)[0]).toEqual({ type: 'query', name: 'QueueAnImport' });

    const listed = await runTab(stack, queue!.query, 'QueueAnImport');
    expect(listed.errors).toBeUndefined();
    expect(listed.data.invitationJobs.edges).toEqual([]);
    expect(stack.emulator.calls.filter((c) => c.route !== 'list')).toEqual([]);
    expect(stack.emulator.invitations()).toEqual([]);
  });

  it('in demo mode: "Queue an import" queues a job once, and its follow-up operations see it to the end', { timeout: 30_000 }, async () => {
    stack = await startStack({ env: { BATCH_WINDOW_MS: '10', BATCH_WINDOW_MAX_MS: '200' } });
    const demo = graphiqlDefaults({ authorization: `Bearer ${stack.apiKey}` });
    const queue = demo.defaultTabs[1]!;
    expect(JSON.parse(queue.headers)).toEqual({ authorization: `Bearer ${stack.apiKey}` });
    expect(validate(schema, parse(queue.query))).toEqual([]);
    expect(operationsOf(queue.query)).toEqual([
      { type: 'mutation', name: 'QueueAnImport' },
      { type: 'subscription', name: 'FollowImport' },
      { type: 'query', name: 'ImportResults' },
    ]);

    const queued = await runTab(stack, queue.query, 'QueueAnImport');
    expect(queued.errors).toBeUndefined();
    const job = queued.data.submitInvitations;
    expect(job).toMatchObject({ total: 4, failedCount: 1 });
    // Run twice, the tab answers with the same job: its idempotency key.
    expect((await runTab(stack, queue.query, 'QueueAnImport')).data.submitInvitations.id).toBe(job.id);

    // FollowImport as GraphiQL runs it: over server-sent events, until the job is finished.
    const stream = await stack.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${stack.apiKey}` },
      body: JSON.stringify({ query: queue.query, operationName: 'FollowImport', variables: { id: job.id } }),
    });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await stream.text();
    const states = [...text.matchAll(/"state":"(\w+)"/g)].map((m) => m[1]);
    expect(states.at(-1)).toBe('DONE');

    const results = await runTab(stack, queue.query, 'ImportResults', { id: job.id });
    expect(results.errors).toBeUndefined();
    const outcomes = results.data.invitationJob.results.edges.map((e: { result: { __typename: string; code?: string } }) => e.result.code ?? e.result.__typename);
    expect(outcomes).toEqual(['InvitationCreated', 'InvitationCreated', 'InvitationCreated', 'INVALID_INPUT']);
    expect(stack.emulator.invitations().map((i) => i.emailAddress).sort()).toEqual(['dorothy@example.com', 'katherine@example.com', 'mary@example.com']);
  });
});
