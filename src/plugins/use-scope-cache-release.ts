import { RequestCache } from '@pothos/plugin-scope-auth';
import type { Plugin } from 'graphql-yoga';

/**
 * Drops Pothos scope-auth's per-request cache of scopes once the operation has run. That cache sits in
 * a WeakMap keyed by the context and holds the context itself. V8's young-generation collector treats a
 * WeakMap's values as strong, so through that cycle every request's whole graph (request, response,
 * context, results) survived each scavenge until a full collection found it dead: on a refused request
 * about 1 MB promoted per scavenge, some 30 µs of garbage collection a request, and most of the
 * gateway's RSS growth under load. Subscriptions keep theirs: their resolvers run after execution.
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
