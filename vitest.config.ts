import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 has no exports map: Vite would load index.mjs for our sources while Node loads
    // index.js for externalised dependencies, and graphql refuses objects from the other copy.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests share one Redis and bind ports; files run in parallel, tests inside a file do not.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
