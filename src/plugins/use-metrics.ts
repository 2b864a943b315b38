import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';

export interface MetricsOptions {
  /** The registry holding the gateway's own metrics; yoga's request metrics join it. */
  registry: Registry;
  endpoint?: string;
}

/**
 * `/metrics` in Prometheus format: yoga's request metrics, renamed under `gateway_`, next to the
 * gateway's own (invitations, upstream calls, batches, budget, queue). Parse/validate/execute phase
 * timings are left off: one histogram per request already shows where time goes for this API.
 */
export function useMetrics({ registry, endpoint = '/metrics' }: MetricsOptions): Plugin {
  return usePrometheus({
    registry,
    endpoint,
    metrics: {
      graphql_envelop_request: 'gateway_graphql_requests_total',
      graphql_envelop_request_duration: 'gateway_graphql_request_duration_seconds',
      graphql_envelop_error_result: 'gateway_graphql_errors_total',
      graphql_yoga_http_duration: 'gateway_http_request_duration_seconds',
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_schema_change: false,
    },
    labels: { method: true, statusCode: true, url: false },
  }) as Plugin;
}
