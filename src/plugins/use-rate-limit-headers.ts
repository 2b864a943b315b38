import type { Plugin } from 'graphql-yoga';
import type { RateLimitReport } from '../limiter/index.ts';

/**
 * `RateLimit-Policy` and `RateLimit` response fields as draft-ietf-httpapi-ratelimit-headers-11 defines them:
 * a List of Items whose value is a String naming the policy, with Integer parameters
 * (`"invitations";q=100;w=3600` and `"invitations";r=42;t=1800`). `qu` is left out: the registry has
 * no unit for "invitations", and one request can spend many.
 */
export const RATE_LIMIT_HEADERS = ['RateLimit', 'RateLimit-Policy'] as const;

export interface RateLimitHeadersOptions {
  /**
   * Policy name per limited field coordinate (`Mutation.createInvitations`); fields not named here get
   * no headers. Names must be printable ASCII, or the plugin throws a TypeError when created.
   */
  policies: Readonly<Record<string, string>>;
}

const reports = new WeakMap<Request, RateLimitReport>();

/**
 * Keeps the last report of a request for its response. Called from the limiter's `onResult` with yoga's
 * context, whose `request` is the object the response hooks see.
 */
export function recordRateLimit(context: object, report: RateLimitReport): void {
  const { request } = context as { request?: Request };
  if (request) reports.set(request, report);
}

/** An sf-string: printable ASCII with `"` and `\` escaped. Policy names are ours, so this only guards typos. */
function sfString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new TypeError(`rate limit policy name ${JSON.stringify(value)} is not printable ASCII`);
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Whole seconds, rounded up: sub-second precision is not allowed, and rounding down would promise too early. */
const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

export function rateLimitFields(policy: string, report: RateLimitReport): { policy: string; limit: string } {
  const name = sfString(policy);
  return {
    // `w` must be above zero even for a sub-second window.
    policy: `${name};q=${report.max};w=${Math.max(1, seconds(report.windowMs))}`,
    // `t`: the time within which no more than `r` can be used, which in a sliding log is until the oldest
    // counted unit leaves.
    limit: `${name};r=${Math.max(0, report.remaining)};t=${seconds(report.resetAfterMs)}`,
  };
}

/**
 * Sets the fields, in `onResponse`, on responses of requests whose limited field was checked (the last
 * report of the request counts, error answers included); other responses are left alone.
 */
export function useRateLimitHeaders({ policies }: RateLimitHeadersOptions): Plugin {
  for (const name of Object.values(policies)) sfString(name);
  return {
    onResponse({ request, response }) {
      const report = reports.get(request);
      const policy = report && policies[report.coordinate];
      if (!report || !policy) return;
      const fields = rateLimitFields(policy, report);
      response.headers.set('RateLimit-Policy', fields.policy);
      response.headers.set('RateLimit', fields.limit);
    },
  };
}
