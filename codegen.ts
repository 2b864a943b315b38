import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed documents for clients, generated from the committed schema.graphql (it carries @rateLimit). */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['client/operations/**/*.graphql'],
  ignoreNoDocuments: false,
  // NodeNext resolution needs extensions on relative imports.
  importExtension: '.js',
  generates: {
    'client/generated/': {
      preset: 'client',
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: 'string', JSONObject: 'Record<string, unknown>' } },
    },
  },
};

export default config;
