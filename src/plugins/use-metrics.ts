import { getOperationAST, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, Histogram, type Registry } from 'prom-client';
import * as clientDocuments from '../../client/generated/graphql.ts';
import { bearerMatches } from '../metrics-server.ts';

export interface MetricsOptions {
  /** The registry holding the gateway's own metrics; yoga's request metrics join it. */
  registry: Registry;
  /**
   * Operation names besides the client's own documents that get a series of their own.
   * @default []
   */
  operationNames?: readonly string[];
  /**
   * Set: `/metrics` on this port answers a `Bearer` with this token. Unset: not served here.
   * @default undefined
   */
  token?: string;
  /**
   * The path that serves the metrics when `token` is set.
   * @default '/metrics'
   */
  endpoint?: string;
}

/** Names clients choose freely; only these become label values, everything else is `other`. */
function knownOperationNames(extra: readonly string[]): Set<string> {
  const names = new Set<string>(['Anonymous', 'IntrospectionQuery', ...extra]);
  for (const value of Object.values(clientDocuments) as unknown[]) {
    const document = value as Partial<DocumentNode> | null;
    if (document?.kind !== 'Document' || !Array.isArray(document.definitions)) continue;
    for (const definition of document.definitions) {
      if (definition.kind === 'OperationDefinition' && definition.name) names.add(definition.name.value);
    }
  }
  return names;
}

const OPERATION_TYPES = new Set(['query', 'mutation', 'subscription']);
const METHODS = new Set(['GET', 'POST', 'OPTIONS', 'HEAD', 'PUT', 'PATCH', 'DELETE']);
const PHASES = new Set(['parse', 'validate', 'context', 'execute', 'subscribe']);

/** Every label value below comes from a fixed set: a client cannot mint new series. */
export function labelMapper(extraOperationNames: readonly string[] = []) {
  const known = knownOperationNames(extraOperationNames);
  const pick = (set: Set<string>, value: unknown, fallback: string) => (typeof value === 'string' && set.has(value) ? value : fallback);
  return {
    operationName: (value: unknown) => (value === undefined || value === '' ? 'Anonymous' : pick(known, value, 'other')),
    operationType: (value: unknown) => pick(OPERATION_TYPES, value, 'unknown'),
    method: (value: unknown) => pick(METHODS, value, 'other'),
    phase: (value: unknown) => pick(PHASES, value, 'other'),
    statusCode: (value: unknown) => (Number.isInteger(value) && (value as number) >= 100 && (value as number) <= 599 ? String(value) : 'other'),
  };
}

type CounterChild = ReturnType<Counter['labels']>;
type HistogramChild = ReturnType<Histogram['labels']>;

/** What one request's operation produced, recorded in one go when its response leaves. */
interface Seen {
  series: OperationSeries;
  errors: number;
  errorPhase?: 'parse' | 'validate' | 'context' | 'execute';
  executeSeconds?: number;
}

/** One operation name and type: its label values and the children made for them so far. */
interface OperationSeries {
  labels: { operationName: string; operationType: string };
  requests?: CounterChild;
  duration?: HistogramChild;
  errors: Map<string, CounterChild>;
  http: Map<string, HistogramChild>;
}

/**
 * Counts every GraphQL request (from parse to the response) and, with a token, serves the registry in
 * `onRequest`.
 *
 * Prometheus metrics: request metrics under `gateway_` (the series @graphql-yoga/plugin-prometheus
 * made, with the same names, labels and meaning), next to the gateway's own (invitations, upstream
 * calls, batches, budget, queue). Every value is written once per request, in onResponse, through
 * label children cached per operation name and type (a fixed set, see labelMapper), so a request
 * costs a few map lookups instead of label objects hashed per metric. Parse/validate/execute phase
 * timings are left off: one histogram per request already shows where time goes for this API. The
 * error counter has no `path` label: a path is made of the client's aliases.
 */
export function useMetrics({ registry, operationNames = [], token, endpoint = '/metrics' }: MetricsOptions): Plugin {
  const label = labelMapper(operationNames);
  const requests = new Counter({ name: 'gateway_graphql_requests_total', help: 'GraphQL operations executed, by operation name and type.', labelNames: ['operationName', 'operationType'], registers: [registry] });
  const duration = new Histogram({
    name: 'gateway_graphql_request_duration_seconds',
    help: 'Time from parse to the end of execution, by operation name and type.',
    labelNames: ['operationName', 'operationType'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'gateway_graphql_errors_total',
    help: 'GraphQL errors, by operation name and type and the phase that raised them.',
    labelNames: ['operationName', 'operationType', 'phase'],
    registers: [registry],
  });
  const http = new Histogram({
    name: 'gateway_http_request_duration_seconds',
    help: 'Time spent on HTTP requests carrying a GraphQL operation, by method, status and operation.',
    labelNames: ['operationName', 'operationType', 'method', 'statusCode'],
    registers: [registry],
  });
  const seriesByKey = new Map<string, OperationSeries>();
  const seriesOf = (name: unknown, type: unknown): OperationSeries => {
    const labels = { operationName: label.operationName(name), operationType: label.operationType(type) };
    const key = `${labels.operationName} ${labels.operationType}`;
    let series = seriesByKey.get(key);
    if (!series) seriesByKey.set(key, (series = { labels, errors: new Map(), http: new Map() }));
    return series;
  };
  // A parse error has no operation: yoga's plugin labelled it Anonymous of an unknown type.
  const unparsed = () => seriesOf(undefined, undefined);
  const started = new WeakMap<Request, number>();
  const seen = new WeakMap<Request, Seen>();

  function record(request: Request, response: Response, at: Seen, start: number | undefined): void {
    const { series } = at;
    if (at.errorPhase && at.errors > 0) {
      let child = series.errors.get(at.errorPhase);
      if (!child) series.errors.set(at.errorPhase, (child = errors.labels({ ...series.labels, phase: label.phase(at.errorPhase) })));
      child.inc(at.errors);
    }
    if (at.executeSeconds !== undefined) {
      (series.requests ??= requests.labels(series.labels)).inc();
      (series.duration ??= duration.labels(series.labels)).observe(at.executeSeconds);
    }
    // Like yoga's plugin: only requests whose document parsed have an HTTP duration.
    if (start === undefined || at.errorPhase === 'parse') return;
    const method = label.method(request.method);
    const statusCode = label.statusCode(response.status);
    const key = `${method} ${statusCode}`;
    let child = series.http.get(key);
    if (!child) series.http.set(key, (child = http.labels({ ...series.labels, method, statusCode })));
    child.observe((performance.now() - start) / 1000);
  }

  const prometheus: Plugin<{ request?: Request; params?: { operationName?: string | null } }> = {
    onPluginInit({ registerContextErrorHandler }) {
      registerContextErrorHandler(({ context }) => {
        const { request } = context as { request?: Request };
        const at = request && seen.get(request);
        if (at) Object.assign(at, { errorPhase: 'context', errors: 1 });
      });
    },
    onRequest({ request }) {
      started.set(request, performance.now());
    },
    onParse({ context }) {
      const { request } = context;
      if (!request) return undefined;
      return ({ result }) => {
        if (result instanceof Error) return void seen.set(request, { series: unparsed(), errors: 1, errorPhase: 'parse' });
        const operation = getOperationAST(result, context.params?.operationName);
        seen.set(request, { series: seriesOf(operation?.name?.value, operation?.operation), errors: 0 });
      };
    },
    onValidate({ context }) {
      const at = context.request && seen.get(context.request);
      if (!at) return undefined;
      return ({ valid }) => {
        if (!valid) Object.assign(at, { errorPhase: 'validate', errors: 1 });
      };
    },
    onExecute({ args }) {
      const { request } = args.contextValue;
      const at = request && seen.get(request);
      if (!at) return undefined;
      const start = performance.now();
      return {
        onExecuteDone({ result }) {
          at.executeSeconds = (performance.now() - start) / 1000;
          const count = 'errors' in result ? (result.errors?.length ?? 0) : 0;
          if (count > 0) Object.assign(at, { errorPhase: 'execute', errors: count });
        },
      };
    },
    onResponse({ request, response }) {
      const at = seen.get(request);
      if (at) record(request, response, at, started.get(request));
    },
  };
  if (token === undefined) return prometheus as Plugin;
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(prometheus as Plugin);
      addPlugin({
        async onRequest({ url, request, fetchAPI, endResponse }) {
          if (url.pathname !== endpoint) return;
          if (!bearerMatches(request.headers.get('authorization'), token)) {
            endResponse(new fetchAPI.Response('metrics need a bearer token\n', { status: 401, headers: { 'www-authenticate': 'Bearer realm="metrics"' } }));
            return;
          }
          endResponse(new fetchAPI.Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } }));
        },
      });
    },
  };
}
