import { Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from 'undici';

/** What the socket saw of one Clerk call; the SDK drops the cause of a network failure, this keeps it. */
export interface CallTrace {
  /** The request is aborted at the socket after this long, so a hung Clerk frees its connection. */
  timeoutMs: number;
  /** Some of the request reached the socket, so Clerk may have acted on it. */
  written: boolean;
  timedOut: boolean;
  transportError?: Error & { code?: string };
  /** Local epoch ms when the request was handed to the socket, and when the answer's headers came. */
  sentAt?: number;
  headersAt?: number;
  /** The answer's `Date` header: Clerk's clock, to whole seconds. */
  date?: string;
  /** Set by Cloudflare in front of Clerk; the SDK falls back to it for `clerkTraceId`. */
  cfRay?: string;
  /** The answer's status, whatever the SDK makes of it. */
  status?: number;
  /** Added to the request (W3C trace context), replacing any header of the same name. */
  headers?: Record<string, string>;
  /** The dispatcher took the call over, so its deadline is enforced at the socket. */
  dispatched?: boolean;
}

/**
 * The call being handed to the socket. `@clerk/backend` calls fetch synchronously from its API method,
 * and fetch hands the request to the dispatcher in the same synchronous stretch; so the trace is set
 * for exactly that stretch (see traceCall) and read by the dispatcher, with no async-local state,
 * which on Node 20 would switch on promise hooks for the whole process.
 */
let handing: CallTrace | undefined;

/** Errors raised before a connection exists: the request cannot have reached Clerk. */
const CONNECT_PHASE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export const neverSent = (trace: CallTrace) =>
  !trace.written && !trace.timedOut && CONNECT_PHASE.has(trace.transportError?.code ?? '');

export class CallDeadlineError extends Error {
  readonly code = 'CLERK_CALL_DEADLINE';
  constructor(ms: number) {
    super(`Clerk did not answer within ${ms} ms`);
  }
}

/** undici calls onRequestSent when the whole request is written; its types omit it. */
type Handler = Dispatcher.DispatchHandlers & { onRequestSent?: () => void };

/**
 * Wraps the process-wide dispatcher that Node's fetch (and so `@clerk/backend`) uses. Only requests
 * started by `traceCall`'s `run` are touched: they get a hard deadline at the socket and a record of how far
 * they got. Everything else passes through unchanged.
 */
class TracingDispatcher extends Dispatcher {
  constructor(private readonly inner: Dispatcher) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Handler): boolean {
    const trace = handing;
    if (!trace) return this.inner.dispatch(options, handler);
    let abort: ((err?: Error) => void) | undefined;
    let expired = false;
    trace.dispatched = true;
    trace.sentAt ??= Date.now();
    const timer = setTimeout(() => {
      expired = true;
      trace.timedOut = true;
      abort?.(new CallDeadlineError(trace.timeoutMs));
    }, trace.timeoutMs);
    const done = () => clearTimeout(timer);
    const wrapped: Handler = {
      ...bindAll(handler),
      onConnect: (a) => {
        abort = a;
        if (expired) a(new CallDeadlineError(trace.timeoutMs));
        return handler.onConnect?.(a);
      },
      onBodySent: (chunkSize, totalBytesSent) => {
        trace.written = true;
        return handler.onBodySent?.(chunkSize, totalBytesSent);
      },
      onRequestSent: () => {
        trace.written = true;
        return handler.onRequestSent?.();
      },
      onHeaders: (...args) => {
        trace.written = true;
        trace.headersAt = Date.now();
        trace.status = args[0];
        readHeaders(trace, args[1]);
        return handler.onHeaders?.(...args) ?? true;
      },
      onError: (err) => {
        done();
        trace.transportError ??= err as CallTrace['transportError'];
        return handler.onError?.(err);
      },
      onComplete: (trailers) => {
        done();
        return handler.onComplete?.(trailers);
      },
    };
    return this.inner.dispatch(trace.headers ? { ...options, headers: withHeaders(options.headers, trace.headers) } : options, wrapped);
  }

  override close(): Promise<void> {
    return this.inner.close();
  }

  override destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** Raw headers arrive as alternating name and value buffers. */
function readHeaders(trace: CallTrace, raw: unknown): void {
  if (!Array.isArray(raw)) return;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = String(raw[i]).toLowerCase();
    if (name === 'date') trace.date = String(raw[i + 1]);
    else if (name === 'cf-ray') trace.cfRay = String(raw[i + 1]);
  }
}

/** fetch hands undici a record; other callers a flat array or pairs. Names compare case-insensitively. */
function withHeaders(given: Dispatcher.DispatchOptions['headers'], extra: Record<string, string>): Record<string, string | string[]> {
  const merged: Record<string, string | string[]> = {};
  const add = (name: string, value: unknown) => {
    if (value !== undefined && !(name.toLowerCase() in extra)) merged[name] = value as string | string[];
  };
  if (Array.isArray(given)) {
    for (let i = 0; i + 1 < given.length; i += 2) add(String(given[i]), String(given[i + 1]));
  } else if (given && typeof (given as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of given as Iterable<[string, string | string[] | undefined]>) add(name, value);
  } else if (given) {
    for (const [name, value] of Object.entries(given)) add(name, value);
  }
  return { ...merged, ...extra };
}

function bindAll(handler: Handler): Handler {
  const bound: Record<string, unknown> = {};
  for (let proto: object | null = handler; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const value = (handler as Record<string, unknown>)[name];
      if (name !== 'constructor' && typeof value === 'function' && !(name in bound)) bound[name] = value.bind(handler);
    }
  }
  return bound as Handler;
}

let installed = false;

/** Idempotent: one wrapper per process, whoever calls first. */
export function installTracingDispatcher(): void {
  if (installed) return;
  installed = true;
  setGlobalDispatcher(new TracingDispatcher(getGlobalDispatcher()));
}

/**
 * Runs one Clerk call with a socket-level deadline; the trace says what happened on the wire. Every
 * request `run` starts synchronously (a user lookup starts two) carries the trace.
 */
export function traceCall<T>(timeoutMs: number, run: () => Promise<T>, headers?: Record<string, string>): { trace: CallTrace; result: Promise<T> } {
  installTracingDispatcher();
  const trace: CallTrace = { timeoutMs, written: false, timedOut: false, headers };
  const outer = handing;
  handing = trace;
  let result: Promise<T>;
  try {
    result = run();
  } catch (error) {
    result = Promise.reject(error);
  } finally {
    handing = outer;
  }
  return { trace, result };
}
