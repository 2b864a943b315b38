import { RequestCache } from '@pothos/plugin-scope-auth';
import type { Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { builder } from '../../src/builder.ts';
import { useScopeCacheRelease } from '../../src/plugins/use-scope-cache-release.ts';
import { pluginYoga, post } from '../support/plugin-yoga.ts';

type Cache = ReturnType<typeof RequestCache.fromContext>;
const cacheOf = (context: object): Cache => RequestCache.fromContext(context as never, builder as never);

/** Runs one query whose resolver makes scope-auth's cache, and says whether the context still has it afterwards. */
async function cacheKeptAfterRequest(plugins: Plugin[]): Promise<boolean> {
  let seen: { context: object; cache: Cache } | undefined;
  const { yoga } = pluginYoga(plugins, {
    resolvers: { Query: { hello: (_: unknown, __: unknown, context: object) => ((seen = { context, cache: cacheOf(context) }), 'world') } },
  });
  const { body } = await post(yoga, '{ hello }');
  expect(body.data).toEqual({ hello: 'world' });
  // The same context asked again: the same cache while it is kept, a fresh one once released.
  return cacheOf(seen!.context) === seen!.cache;
}

describe('useScopeCacheRelease', () => {
  it("releases scope-auth's cache of a context once its operation has run", async () => {
    expect(await cacheKeptAfterRequest([useScopeCacheRelease()])).toBe(false);
  });

  it('(without it, the context keeps its cache, which holds the context: the cycle the plugin breaks)', async () => {
    expect(await cacheKeptAfterRequest([])).toBe(true);
  });
});
