import { describe, expect, it } from 'vitest';
import type { RateLimitReport } from '../../src/limiter/index.ts';
import { rateLimitFields, recordRateLimit, useRateLimitHeaders } from '../../src/plugins/use-rate-limit-headers.ts';
import { pluginYoga, post } from '../support/plugin-yoga.ts';

const REPORT: RateLimitReport = { coordinate: 'Mutation.createInvitations', max: 100, windowMs: 3_600_000, remaining: 42, resetAfterMs: 1_800_000 };

/**
 * The limiter reports through `recordRateLimit(context, report)` from its onResult; here the resolver
 * does it, with the reports the test gives for each request (by its `x-reports` header index).
 */
function headersYoga(reports: RateLimitReport[][], policies: Record<string, string> = { 'Mutation.createInvitations': 'invitations' }) {
  return pluginYoga([useRateLimitHeaders({ policies })], {
    resolvers: {
      Mutation: {
        createInvitations: (_: unknown, args: { emails: string[] }, context: { request: Request }) => {
          for (const report of reports[Number(context.request.headers.get('x-reports') ?? 0)] ?? []) recordRateLimit(context, report);
          if (args.emails.includes('fail')) throw new Error('after the limiter counted');
          return args.emails.length;
        },
      },
    },
  });
}
const INVITE = 'mutation ($e: [String!]!) { createInvitations(emails: $e) }';
const invite = (yoga: ReturnType<typeof headersYoga>['yoga'], reportsIndex = 0, emails = ['a@example.com']) =>
  post(yoga, INVITE, { variables: { e: emails }, headers: { 'x-reports': String(reportsIndex) } });

describe('useRateLimitHeaders', () => {
  it('sets RateLimit-Policy and RateLimit as the draft defines them (sf-string name, integer parameters)', async () => {
    const { yoga } = headersYoga([[REPORT]]);
    const { response } = await invite(yoga);
    expect(response.headers.get('ratelimit-policy')).toBe('"invitations";q=100;w=3600');
    expect(response.headers.get('ratelimit')).toBe('"invitations";r=42;t=1800');
  });

  it('sets nothing when the limiter did not run for the request, or for a field without a policy', async () => {
    const { yoga } = headersYoga([[], [{ ...REPORT, coordinate: 'Query.invitations' }]]);
    for (const index of [0, 1]) {
      const { response, body } = await invite(yoga, index);
      expect(body.data.createInvitations).toBe(1);
      expect(response.headers.get('ratelimit')).toBeNull();
      expect(response.headers.get('ratelimit-policy')).toBeNull();
    }
    expect((await post(yoga, '{ hello }')).response.headers.get('ratelimit')).toBeNull();
  });

  it('keeps the last report of a request, and the headers on an answer with errors', async () => {
    const { yoga } = headersYoga([[REPORT, { ...REPORT, remaining: 7 }]]);
    const { response, body } = await invite(yoga, 0, ['fail']);
    expect(body.errors).toHaveLength(1);
    expect(response.headers.get('ratelimit')).toBe('"invitations";r=7;t=1800');
  });

  it('never mixes up concurrent requests', async () => {
    const reports = Array.from({ length: 20 }, (_, i) => [{ ...REPORT, remaining: i }]);
    const { yoga } = headersYoga(reports);
    const answers = await Promise.all(reports.map((_, i) => invite(yoga, i)));
    answers.forEach(({ response }, i) => expect(response.headers.get('ratelimit')).toBe(`"invitations";r=${i};t=1800`));
  });

  it('names each field by its own policy', async () => {
    const { yoga } = headersYoga([[{ ...REPORT, coordinate: 'Mutation.createOrganizationInvitations', max: 5 }]], {
      'Mutation.createInvitations': 'invitations',
      'Mutation.createOrganizationInvitations': 'organization-invitations',
    });
    expect((await invite(yoga)).response.headers.get('ratelimit-policy')).toBe('"organization-invitations";q=5;w=3600');
  });

  it('refuses at construction a policy name that is not a printable ASCII sf-string', () => {
    for (const name of ['café', 'line\nbreak', 'tab\t', '\u0000']) {
      expect(() => useRateLimitHeaders({ policies: { 'Mutation.createInvitations': name } }), JSON.stringify(name)).toThrow(TypeError);
    }
  });

  it('recordRateLimit ignores a context without a request', () => {
    expect(() => recordRateLimit({}, REPORT)).not.toThrow();
  });
});

describe('rateLimitFields: odd numbers', () => {
  it('rounds seconds up, never below zero, and keeps the window above zero', () => {
    expect(rateLimitFields('p', { ...REPORT, windowMs: 1, resetAfterMs: 1 })).toEqual({ policy: '"p";q=100;w=1', limit: '"p";r=42;t=1' });
    expect(rateLimitFields('p', { ...REPORT, windowMs: 0, resetAfterMs: 1001 })).toEqual({ policy: '"p";q=100;w=1', limit: '"p";r=42;t=2' });
    expect(rateLimitFields('p', { ...REPORT, remaining: -3, resetAfterMs: -5000 }).limit).toBe('"p";r=0;t=0');
    expect(rateLimitFields('p', { ...REPORT, windowMs: 86_400_000 * 365 }).policy).toBe('"p";q=100;w=31536000');
  });

  it('escapes " and \\ in a policy name', () => {
    expect(rateLimitFields('a"b\\c', REPORT).policy).toBe('"a\\"b\\\\c";q=100;w=3600');
  });
});
