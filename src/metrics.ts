import { existsSync, readFileSync } from 'node:fs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { DispatchObserver } from './batcher/dispatch-types.ts';
import type { UpstreamBudget } from './budget/types.ts';
import type { InvitationOutcome } from './invitations/types.ts';

export interface MetricsSources {
  budget: UpstreamBudget;
  /** Items waiting for a batch or in flight. */
  pending: () => number;
  /** Whether Clerk answers; probed (and cached) by the reachability probe. */
  clerk?: () => Promise<{ reachable: boolean | null }>;
}

// The package root is one level up from src/ and two from the build's dist/src/.
const packageJson = ['../package.json', '../../package.json'].map((path) => new URL(path, import.meta.url)).find((url) => existsSync(url))!;
const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };

let shared: Registry | undefined;
/**
 * CPU, memory, event loop, GC and build facts belong to the process, not to one app: they are made
 * once (their collectors hold timers and GC observers) and registered into every app's registry.
 */
function processMetrics(): Registry {
  if (shared) return shared;
  shared = new Registry();
  collectDefaultMetrics({ register: shared, prefix: 'gateway_' });
  new Gauge({
    name: 'gateway_build_info',
    help: 'Always 1; the labels say which gateway version runs on which Node.js.',
    labelNames: ['version', 'node_version'],
    registers: [shared],
  }).set({ version, node_version: process.version }, 1);
  return shared;
}

const OUTCOME_CODES = new Set([
  'CREATED',
  'INVALID_INPUT',
  'ALREADY_INVITED',
  'USER_EXISTS',
  'ALREADY_MEMBER',
  'MEMBERSHIP_QUOTA_EXCEEDED',
  'NOT_ALLOWED',
  'RATE_LIMITED',
  'UPSTREAM_ERROR',
  'OUTCOME_UNKNOWN',
]);
/** Clerk's answer picks the status; only a real HTTP status becomes a label value, so series stay bounded. */
const statusLabel = (status: number | undefined) => (status === undefined ? '0' : Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'other');

/**
 * The gateway's own Prometheus metrics, all prefixed `gateway_`. Values that already live elsewhere
 * (budget, queue) are read at scrape time rather than mirrored, so they cannot drift.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly invitations = new Counter({
    name: 'gateway_invitations_total',
    help: 'Invitation items answered, by family (instance or organization) and outcome code (CREATED or an InvitationErrorCode).',
    labelNames: ['family', 'code'],
    registers: [this.registry],
  });
  private readonly upstreamCalls = new Counter({
    name: 'gateway_upstream_calls_total',
    help: 'Calls to Clerk by channel and HTTP status (0 when no status came back).',
    labelNames: ['channel', 'status'],
    registers: [this.registry],
  });
  private readonly upstreamLatency = new Histogram({
    name: 'gateway_upstream_call_duration_seconds',
    help: 'Duration of calls to Clerk by channel.',
    labelNames: ['channel'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly upstreamInvitations = new Counter({
    name: 'gateway_upstream_invitations_sent_total',
    help: 'Invitations carried by calls to Clerk, by channel.',
    labelNames: ['channel'],
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: 'gateway_batch_size',
    help: 'Items per batch when it leaves for Clerk.',
    buckets: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    registers: [this.registry],
  });
  private readonly batchWait = new Histogram({
    name: 'gateway_batch_wait_seconds',
    help: "Time from a batch's first item to its departure.",
    buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2],
    registers: [this.registry],
  });
  private readonly budgetRefusals = new Counter({
    name: 'gateway_upstream_budget_refusals_total',
    help: 'Calls the budget refused, by channel and reason (spent, paused, unavailable).',
    labelNames: ['channel', 'reason'],
    registers: [this.registry],
  });
  private readonly reconciliations = new Counter({
    name: 'gateway_reconciled_items_total',
    help: 'Items of calls with an unknown outcome, by how they were settled (found, resent, unknown).',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly callerRejections = new Counter({
    name: 'gateway_caller_rate_limit_rejections_total',
    help: 'Operations refused by the per-caller @rateLimit limit.',
    registers: [this.registry],
  });

  constructor({ budget, pending, clerk }: MetricsSources) {
    for (const metric of processMetrics().getMetricsAsArray()) this.registry.registerMetric(metric as unknown as Metric);
    new Gauge({
      name: 'gateway_upstream_budget_remaining',
      help: "Calls left in Clerk's hourly allowance per channel, over UPSTREAM_BUDGET_WINDOW (-1 while the budget store is unreachable).",
      labelNames: ['channel'],
      registers: [this.registry],
      async collect() {
        for (const channel of ['bulk', 'single'] as const) {
          const status = await budget.status(channel).catch(() => undefined);
          this.set({ channel }, status && !status.unavailable ? status.remaining : -1);
        }
      },
    });
    new Gauge({
      name: 'gateway_queue_depth',
      help: 'Invitation items waiting for a batch or in flight in this process.',
      registers: [this.registry],
      collect() {
        this.set(pending());
      },
    });
    new Gauge({
      name: 'gateway_clerk_reachable',
      help: 'Whether the last Clerk probe got an answer: 1 yes, 0 no, -1 not known yet. Probed at most every 15 s.',
      registers: clerk ? [this.registry] : [],
      async collect() {
        const { reachable } = (await clerk?.().catch(() => undefined)) ?? { reachable: null };
        this.set(reachable === null ? -1 : reachable ? 1 : 0);
      },
    });
  }

  readonly observer: DispatchObserver = {
    upstreamCall: ({ channel, items, ms, status }) => {
      this.upstreamCalls.inc({ channel, status: statusLabel(status) });
      this.upstreamLatency.observe({ channel }, ms / 1000);
      this.upstreamInvitations.inc({ channel }, items);
    },
    budgetRefused: ({ channel, reason }) => this.budgetRefusals.inc({ channel, reason }),
    reconciled: ({ found, resent, unknown }) => {
      if (found) this.reconciliations.inc({ result: 'found' }, found);
      if (resent) this.reconciliations.inc({ result: 'resent' }, resent);
      if (unknown) this.reconciliations.inc({ result: 'unknown' }, unknown);
    },
  };

  batch(size: number, waitMs: number): void {
    this.batchSize.observe(size);
    this.batchWait.observe(waitMs / 1000);
  }

  /** `family` is `instance` or `organization`, never an organization id: the label stays bounded. */
  outcomes(results: readonly InvitationOutcome[], family: 'instance' | 'organization' = 'instance'): void {
    for (const r of results) {
      const code = r.kind === 'created' ? 'CREATED' : r.code;
      this.invitations.inc({ family, code: OUTCOME_CODES.has(code) ? code : 'other' });
    }
  }
}
