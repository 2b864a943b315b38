import { RequestCache } from '@pothos/plugin-scope-auth';
import type { Plugin } from 'graphql-yoga';

/**
 * Drops Pothos scope-auth's per-request cache of scopes once the operation has run. That cache sits in
 * a WeakMap keyed by the context and holds the context itself. V8's young-generation collector treats a
 * WeakMap's values as strong, so through that cycle every request's whole graph (request, response,
 * context, results) survived each scavenge until a full collection found it dead. On a refused request
 * under load, releasing it took promotion from 1 MB to 0.6 MB a scavenge (docs/performance.md).
 * Subscriptions keep theirs: their resolvers run after execution.
 */
export function useScopeCacheRelease(): Plugin {
  return {
    onExecute({ args }) {
      return {
        onExecuteDone() {
          RequestCache.clearForContext(args.contextValue);
        },
      };
    },
  };
}
