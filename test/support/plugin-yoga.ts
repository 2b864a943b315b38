import { createSchema, createYoga, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import { JSONResolver } from 'graphql-scalars';

/**
 * A tiny schema for testing one yoga plugin alone: a query root with a few shapes (nesting, a JSON
 * argument, page sizes, a failing field) and mutation fields named like the gateway's create fields.
 */
export const PLUGIN_TYPE_DEFS = /* GraphQL */ `
  scalar JSON
  type Query {
    hello: String!
    echo(value: JSON): JSON
    node: Node
    items(first: Int, last: Int): [Node!]!
    fail: String
  }
  type Node {
    name: String!
    child: Node
  }
  type Mutation {
    createInvitations(emails: [String!]!): Int!
    createOrganizationInvitations(organizationId: ID!, emails: [String!]!): Int!
    revokeInvitation(id: ID!): ID
  }
`;

export interface PluginYogaOptions {
  /** Resolvers replacing or adding to the defaults, by type and field. */
  resolvers?: Record<string, Record<string, unknown>>;
  /** Extra yoga options, e.g. `cors: false` or `batching: true`. */
  yoga?: Record<string, unknown>;
}

/** `createYoga` with only the given plugins and the tiny schema; `calls` counts resolver runs by field. */
export function pluginYoga(plugins: Plugin[], { resolvers = {}, yoga = {} }: PluginYogaOptions = {}) {
  const calls: Record<string, number> = {};
  const counted = (field: string, resolve: (...args: never[]) => unknown) =>
    (...args: never[]) => {
      calls[field] = (calls[field] ?? 0) + 1;
      return resolve(...args);
    };
  const node = (depth: number): unknown => ({ name: `n${depth}`, child: () => node(depth + 1) });
  const defaults: Record<string, Record<string, (...args: never[]) => unknown>> = {
    Query: {
      hello: () => 'world',
      echo: (_: unknown, args: { value?: unknown }) => args.value ?? null,
      node: () => node(0),
      items: () => [node(0), node(1)],
      fail: () => {
        throw new Error('fail');
      },
    },
    Mutation: {
      createInvitations: (_: unknown, args: { emails: string[] }) => args.emails.length,
      createOrganizationInvitations: (_: unknown, args: { emails: string[] }) => args.emails.length,
      revokeInvitation: (_: unknown, args: { id: string }) => args.id,
    },
  };
  const merged: Record<string, Record<string, unknown>> = { JSON: JSONResolver as never };
  for (const type of ['Query', 'Mutation'] as const) {
    const fields = { ...defaults[type], ...(resolvers[type] as Record<string, (...args: never[]) => unknown>) };
    merged[type] = Object.fromEntries(Object.entries(fields).map(([name, resolve]) => [name, counted(name, resolve)]));
  }
  const server = createYoga<Record<string, unknown>, YogaInitialContext>({
    schema: createSchema({ typeDefs: PLUGIN_TYPE_DEFS, resolvers: merged as never }),
    plugins,
    logging: false,
    ...yoga,
  });
  return { yoga: server, calls };
}

export const SPEC_MEDIA_TYPE = 'application/graphql-response+json';

export interface Answer {
  response: Response;
  // biome-ignore lint: the body shape is whatever the plugin under test answers.
  body: any;
}

type Fetchable = { fetch(url: string, init?: RequestInit): Promise<Response> | Response };

/** POSTs a GraphQL request as JSON (unless `headers` override the type) and reads the answer. */
export async function post(
  yoga: Fetchable,
  query: string,
  { variables, headers = {}, operationName, path = '/graphql' }: { variables?: Record<string, unknown>; headers?: Record<string, string>; operationName?: string; path?: string } = {},
): Promise<Answer> {
  const response = await yoga.fetch(`http://yoga.test${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: SPEC_MEDIA_TYPE, ...headers },
    body: JSON.stringify({ query, variables, operationName }),
  });
  return { response, body: await readBody(response) };
}

/** Fetches any path with any init, and reads the answer. */
export async function send(yoga: Fetchable, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await yoga.fetch(`http://yoga.test${path}`, init);
  return { response, body: await readBody(response) };
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
