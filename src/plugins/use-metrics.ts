import { createCounter, createHistogram, usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';
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

type Params = { operationName?: unknown; operationType?: unknown; errorPhase?: unknown };

/**
 * Counts every GraphQL request (from parse to the response) and, with a token, serves the registry in
 * `onRequest`.
 *
 * Prometheus metrics: yoga's request metrics, renamed under `gateway_`, next to the gateway's own
 * (invitations, upstream calls, batches, budget, queue). Parse/validate/execute phase timings are
 * left off: one histogram per request already shows where time goes for this API. The error
 * counter has no `path` label: a path is made of the client's aliases.
 */
export function useMetrics({ registry, operationNames = [], token, endpoint = '/metrics' }: MetricsOptions): Plugin {
  const label = labelMapper(operationNames);
  const operation = (params: Params) => ({ operationName: label.operationName(params.operationName), operationType: label.operationType(params.operationType) });
  const prometheus = usePrometheus({
    registry,
    // Served below, behind the token, or on the metrics listener only.
    endpoint: false,
    metrics: {
      graphql_envelop_request: createCounter({
        registry,
        counter: { name: 'gateway_graphql_requests_total', help: 'GraphQL operations executed, by operation name and type.', labelNames: ['operationName', 'operationType'] },
        fillLabelsFn: operation,
      }),
      graphql_envelop_request_duration: createHistogram({
        registry,
        histogram: { name: 'gateway_graphql_request_duration_seconds', help: 'Time from parse to the end of execution, by operation name and type.', labelNames: ['operationName', 'operationType'] },
        fillLabelsFn: operation,
      }),
      graphql_envelop_error_result: createCounter({
        registry,
        counter: { name: 'gateway_graphql_errors_total', help: 'GraphQL errors, by operation name and type and the phase that raised them.', labelNames: ['operationName', 'operationType', 'phase'] },
        fillLabelsFn: (params: Params) => ({ ...operation(params), phase: label.phase(params.errorPhase) }),
      }),
      graphql_yoga_http_duration: createHistogram({
        registry,
        histogram: {
          name: 'gateway_http_request_duration_seconds',
          help: 'Time spent on HTTP requests carrying a GraphQL operation, by method, status and operation.',
          labelNames: ['operationName', 'operationType', 'method', 'statusCode'],
        },
        fillLabelsFn: (params: Params & { request?: Request; response?: Response }) => ({
          ...operation(params),
          method: label.method(params.request?.method),
          statusCode: label.statusCode(params.response?.status),
        }),
      }),
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_schema_change: false,
    },
  }) as Plugin;
  if (token === undefined) return prometheus;
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(prometheus);
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
