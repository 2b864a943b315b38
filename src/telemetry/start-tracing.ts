import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { TRACER_NAME, tracingEnabled, useTracer } from './tracing.ts';

export interface TracingOptions {
  /** Where spans are posted as OTLP/HTTP JSON, e.g. `http://collector:4318/v1/traces`. */
  url: string;
  serviceName: string;
  /** How long shutdown waits for the last spans to be sent. @default 3000 */
  shutdownTimeoutMs?: number;
}

export interface Tracing {
  /** Sends every span ended so far; tests and shutdown wait for it. */
  flush(): Promise<void>;
  /**
   * Flushes, then unregisters everything, so the process is back to no tracing at all. Rejects when the
   * last spans could not be sent in time; the registrations are gone all the same.
   */
  shutdown(): Promise<void>;
}

/**
 * Registers the SDK process-wide. Only called when an OTLP endpoint is configured: a gateway without
 * one starts no provider, no exporter and no context manager (so no async-local state for tracing).
 */
export function startTracing({ url, serviceName, shutdownTimeoutMs = 3_000 }: TracingOptions): Tracing {
  if (tracingEnabled()) throw new Error('tracing is already started');
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    // Batches export off the request path; a collector that is down costs dropped spans, not latency.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  // The active span has to follow a request through awaits and timers: resolver -> batcher -> Clerk call.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  useTracer(trace.getTracer(TRACER_NAME));
  let stopped: Promise<void> | undefined;
  return {
    flush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= (async () => {
        useTracer(undefined);
        let timer: NodeJS.Timeout | undefined;
        // The exporter retries a collector that is down for up to 10 s; shutdown has its own deadline.
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the last spans were not sent within ${shutdownTimeoutMs} ms`)), shutdownTimeoutMs);
        });
        try {
          await Promise.race([provider.shutdown(), late]);
        } finally {
          clearTimeout(timer);
          trace.disable();
          propagation.disable();
          context.disable();
        }
      })();
      return stopped;
    },
  };
}
