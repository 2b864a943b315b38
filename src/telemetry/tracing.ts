import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';

export const TRACER_NAME = 'clerk-invitation-gateway';

/**
 * Set by start-tracing.ts while tracing runs. Unset, every helper below returns at once: no span, no
 * context lookup, no header. This module needs only the API; the batcher and the Clerk client use it.
 */
let tracer: Tracer | undefined;

export const tracingEnabled = () => tracer !== undefined;

/** Called by start-tracing.ts once the SDK is registered, and with undefined when it stops. */
export function useTracer(given: Tracer | undefined): void {
  tracer = given;
}

/** The span running now (for a resolver: its GraphQL operation); undefined when tracing is off. */
export function currentSpanContext(): SpanContext | undefined {
  if (!tracer) return undefined;
  const found = trace.getSpanContext(context.active());
  return found && isSpanContextValid(found) ? found : undefined;
}

export interface BatchTraceInfo {
  /** The operations whose items the batch carries, in the order the items joined. */
  parents: readonly (SpanContext | undefined)[];
  requestIds: readonly string[];
  items: number;
}

/**
 * One span per dispatched batch. A batch serves several requests: it continues the trace of the request
 * that opened it, and links the operation of every request it carries, so the others can find it too.
 */
export function inBatchSpan<T>(info: BatchTraceInfo, run: () => Promise<T>): Promise<T> {
  if (!tracer) return run();
  const distinct = new Map<string, SpanContext>();
  for (const parent of info.parents) if (parent && isSpanContextValid(parent)) distinct.set(parent.spanId, parent);
  const [first] = distinct.values();
  const parentContext = first ? trace.setSpanContext(ROOT_CONTEXT, first) : ROOT_CONTEXT;
  const span = tracer.startSpan(
    'invitation batch',
    {
      kind: SpanKind.INTERNAL,
      links: [...distinct.values()].map((linked) => ({ context: linked })),
      attributes: { 'gateway.batch.items': info.items, 'gateway.batch.request_ids': [...info.requestIds] },
    },
    parentContext,
  );
  return context.with(trace.setSpan(parentContext, span), run).finally(() => span.end());
}

/** What a Clerk call span records; `call` is the endpoint family, `items` the invitations it carries. */
export interface ClerkCallInfo {
  call: 'bulk' | 'single' | 'list' | 'users' | 'other';
  method?: 'GET' | 'POST';
  items?: number;
}

export interface ClerkCallSpan {
  /** The headers that carry this span to Clerk (`traceparent`, and `tracestate` when there is one). */
  headers: Record<string, string>;
  end(outcome: { result: string; status?: number | undefined; clerkTraceId?: string | undefined }): void;
}

/** A client span for one HTTP call to Clerk, child of whatever is running (a batch, an admin query). */
export function startClerkCall(info: ClerkCallInfo): ClerkCallSpan | undefined {
  if (!tracer) return undefined;
  const attributes: Record<string, string | number> = { 'clerk.call': info.call };
  if (info.method) attributes['http.request.method'] = info.method;
  if (info.items !== undefined) attributes['clerk.items'] = info.items;
  const span: Span = tracer.startSpan(`clerk ${info.call}`, { kind: SpanKind.CLIENT, attributes });
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), headers);
  return {
    headers,
    end({ result, status, clerkTraceId }) {
      span.setAttribute('clerk.outcome', result);
      if (status !== undefined) span.setAttribute('http.response.status_code', status);
      if (clerkTraceId) span.setAttribute('clerk.trace_id', clerkTraceId);
      if (result !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: result });
      span.end();
    },
  };
}
