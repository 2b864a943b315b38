import {
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Exception,
  type Span,
  type TextMapGetter,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { Plugin } from 'graphql-yoga';
import { lazyModule } from '../lazy-module.ts';
import { TRACER_NAME } from '../telemetry/tracing.ts';
import { requestIdOf } from './use-request-id.ts';

/** Loaded when tracing is on; it shares OpenTelemetry's global context with this file through the API's global registry. */
const envelopOpenTelemetry = lazyModule<typeof import('@envelop/opentelemetry')>('@envelop/opentelemetry');

export interface TracingPluginOptions {
  /**
   * Only requests to this path get a span; health probes and scrapes would drown the traces.
   * @default '/graphql'
   */
  endpoint?: string;
}

/** Reads a caller's `traceparent`/`tracestate`; the propagator rejects malformed values. */
const fromHeaders: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** Error codes are the gateway's own fixed strings; anything else is dropped. */
function codesOf(exception: Exception): string[] {
  try {
    const errors = JSON.parse(typeof exception === 'string' ? exception : String(exception.message)) as { extensions?: { code?: unknown } }[];
    return errors.map((e) => e.extensions?.code).filter((code): code is string => typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code));
  } catch {
    return [];
  }
}

/**
 * The operation plugin records GraphQL errors as their JSON, before yoga masks them, and a message can
 * quote what the caller sent (graphql-js's variable errors quote the whole item: addresses, metadata).
 * Its spans record the error codes instead.
 */
function withoutErrorMessages(provider: TracerProvider): TracerProvider {
  return {
    getTracer(name, version, options) {
      const tracer = provider.getTracer(name, version, options);
      const startSpan: Tracer['startSpan'] = (spanName, spanOptions, parent) => {
        const span = tracer.startSpan(spanName, spanOptions, parent);
        span.recordException = (exception, time) => {
          span.addEvent('exception', { 'exception.type': 'graphql.execute.error', 'graphql.error.codes': codesOf(exception) }, time);
        };
        return span;
      };
      return { startSpan, startActiveSpan: tracer.startActiveSpan.bind(tracer) } as Tracer;
    },
  };
}

interface RequestSpan {
  span: Span;
  context: Context;
}

/**
 * Traces GraphQL requests: a span from `onRequest` to `onResponse`, and one per operation.
 *
 * A server span per GraphQL HTTP request, continuing the caller's W3C trace context, and under it the
 * operation span of `@envelop/opentelemetry`. Register only while tracing runs (see telemetry/tracing.ts).
 */
export function useTracing({ endpoint = '/graphql' }: TracingPluginOptions = {}): Plugin {
  const spans = new WeakMap<Request, RequestSpan>();
  const tracer = trace.getTracer(TRACER_NAME);
  const { setCurrentOtelContext, useOpenTelemetry } = envelopOpenTelemetry();
  return {
    onPluginInit({ addPlugin }) {
      // Hands the request span to the operation plugin, which must run after it in onExecute.
      addPlugin({
        onExecute({ args }) {
          const request = (args.contextValue as { request?: Request }).request;
          const entry = request && spans.get(request);
          if (entry) setCurrentOtelContext(args.contextValue, entry.context);
        },
      });
      // Variables and results hold addresses and metadata: they stay out. A document with inline
      // arguments is left out by the plugin itself for the same reason.
      const provider = withoutErrorMessages(trace.getTracerProvider());
      addPlugin(useOpenTelemetry({ resolvers: false, variables: false, result: false }, provider, SpanKind.INTERNAL, {}, TRACER_NAME) as Plugin);
    },
    onRequest({ request, url }) {
      if (url.pathname !== endpoint) return;
      const parent = propagation.extract(ROOT_CONTEXT, request.headers, fromHeaders);
      const span = tracer.startSpan(
        `${request.method} ${endpoint}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': request.method,
            'http.route': endpoint,
            'url.path': url.pathname,
            'gateway.request_id': requestIdOf(request),
          },
        },
        parent,
      );
      spans.set(request, { span, context: trace.setSpan(parent, span) });
    },
    onResponse({ request, response }) {
      const entry = spans.get(request);
      if (!entry) return;
      spans.delete(request);
      entry.span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR });
      entry.span.end();
    },
  };
}
