import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { notAllowed } from './auth/rights.ts';
import type { GatewayContext } from './context.ts';

export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  AuthScopes: {
    /** Invite people and manage invitations: an inviter role or permission, an allowed machine, or an API key. */
    inviter: boolean;
    /** Someone who might act on an organization: a session in one, or an API key; each field checks which organization. */
    organizationCaller: boolean;
  };
  Scalars: {
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
    DateTime: { Input: Date; Output: Date | number };
  };
  Directives: {
    rateLimit: {
      locations: 'FIELD_DEFINITION';
      args: { max?: number; window?: string; message?: string; identityArgs?: string[]; arrayLengthField?: string; uncountRejected?: boolean };
    };
  };
  Connection: { totalCount: number };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  // Scope-auth first, so its check wraps the resolvers the other plugins build.
  plugins: [ScopeAuthPlugin, RelayPlugin, DirectivesPlugin],
  scopeAuth: {
    authScopes: (context) => ({
      inviter: context.caller.inviter === true,
      organizationCaller: context.caller.kind === 'apikey' || (context.caller.kind === 'user' && Boolean(context.caller.org?.id)),
    }),
    unauthorizedError: (_parent, context) => notAllowed(context.caller),
  },
  relay: {
    // No type implements Node, so the node/nodes lookups would only be dead, unguarded fields.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    cursorType: 'String',
    edgesFieldOptions: { nullable: false },
    pageInfoTypeOptions: { description: 'Where a page sits in the whole list.' },
    hasNextPageFieldOptions: { description: 'Whether more items follow this page.' },
    hasPreviousPageFieldOptions: { description: 'Whether items come before this page.' },
    startCursorFieldOptions: { description: "The first edge's cursor; null on an empty page." },
    endCursorFieldOptions: { description: "The last edge's cursor, the `after` for the next page; null on an empty page." },
    nodeFieldOptions: { nullable: false },
  },
  // The unordered form is the only one printSchemaWithDirectives prints as valid SDL.
  directives: { useGraphQLToolsUnorderedDirectives: true },
  defaultFieldNullability: false,
});

builder.queryType({ description: 'Read-only operations.' });
builder.mutationType({ description: 'Operations that invite people.' });
