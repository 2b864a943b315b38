import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A package loaded on first use, through its CommonJS build. Redis, BullMQ and the OpenTelemetry
 * envelop plugin each cost 2–6 MB of heap once loaded, and a replica without Redis or tracing never
 * calls them. A smaller live heap at ready is also a smaller heap under load: V8 lets the old
 * generation grow in proportion to what survives a full collection.
 */
export function lazyModule<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
