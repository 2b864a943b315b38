import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import type { GatewayContext } from './context.ts';

export const builder = new SchemaBuilder<{
  Context: GatewayContext;
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
  DefaultFieldNullability: false;
}>({
  plugins: [DirectivesPlugin],
  // The unordered form is the only one printSchemaWithDirectives prints as valid SDL.
  directives: { useGraphQLToolsUnorderedDirectives: true },
  defaultFieldNullability: false,
});

builder.queryType({ description: 'Read-only operations.' });
builder.mutationType({ description: 'Operations that invite people.' });
