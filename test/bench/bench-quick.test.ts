import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const output = (ext: string) => `${root}bench/results.quick.${ext}`;

interface Packing {
  n: number;
  gateway: { calls: number; created: number; invitationsPerCall: number };
  naive: { calls: number; created: number; invitationsPerCall: number };
}

type Results = Record<string, any>;

/** The smoke run of `npm run bench`: it must finish, and what it writes must add up. */
describe('npm run bench -- --quick', () => {
  let results: Results;

  beforeAll(async () => {
    await Promise.all(['json', 'md'].map((ext) => rm(output(ext), { force: true })));
    // The benchmark is run as a process, the way `npm run bench` runs it, not imported into the test worker.
    // The limit is a guard for a busy shared machine, where the smoke run has taken over four minutes.
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick'], { cwd: root, timeout: 420_000, maxBuffer: 1 << 20 });
    results = JSON.parse(await readFile(output('json'), 'utf8')) as Results;
  }, 430_000);

  it('writes the quick files, never the committed ones', async () => {
    expect((await stat(output('md'))).size).toBeGreaterThan(500);
    const markdown = await readFile(output('md'), 'utf8');
    expect(markdown).toMatch(/CPUs: \d+ × /);
    expect(markdown).toContain(`Node: ${process.version}`);
    expect(results.machine.mode).toBe('quick');
    expect(Object.keys(results)).toEqual(expect.arrayContaining(['packing', 'budgetYield', 'queueYield', 'overhead', 'limiter', 'failureCost']));
  });

  it('packing: the gateway never makes more calls than the naive resolver, and both create every invitation', () => {
    const rows = results.packing.concurrency as Packing[];
    expect(rows.map((r) => r.n)).toEqual([1, 10, 37, 100, 500]);
    for (const r of rows) {
      expect(r.gateway.created).toBe(r.n);
      expect(r.naive.created).toBe(r.n);
      expect(r.naive.calls).toBe(r.n);
      expect(r.gateway.calls).toBeGreaterThanOrEqual(Math.ceil(r.n / 10));
      expect(r.gateway.invitationsPerCall).toBeGreaterThanOrEqual(r.naive.invitationsPerCall);
    }
    expect(rows.find((r) => r.n === 100)!.gateway.invitationsPerCall).toBeGreaterThan(2);
    // Organization invitations pack the same way, on their own endpoints.
    const organizations = results.packing.organizations as { n: number; calls: number; created: number; minimumCalls: number }[];
    expect(organizations.map((r) => r.n)).toEqual([1, 10, 37, 100]);
    for (const r of organizations) {
      expect(r.created).toBe(r.n);
      expect(r.calls).toBeGreaterThanOrEqual(r.minimumCalls);
    }
    expect(organizations.find((r) => r.n === 100)!.calls).toBeLessThan(100 / 2);
  });

  it('budget yield: within the 350 ceiling, no 429s for the gateway, and auto beats the naive resolver in bursts', () => {
    const patterns = results.budgetYield.patterns as Record<string, Record<string, any>>;
    for (const [pattern, policies] of Object.entries(patterns)) {
      for (const [policy, r] of Object.entries(policies)) {
        if ('skipped' in r) continue;
        expect(r.deliveredPerHourSteady, `${pattern} / ${policy}`).toBeLessThanOrEqual(350);
        if (policy.startsWith('gateway')) expect(r.tooManyRequests, `${pattern} / ${policy}`).toBe(0);
      }
    }
    const bursts = patterns['bursts']!;
    expect(bursts['gateway auto'].deliveredPerHourSteady).toBeGreaterThan(bursts['naive: one bulk call per request'].deliveredPerHourSteady);
    // Organization invitations, on their own allowance (50 bulk + 250 single an hour).
    const organizations = results.budgetYield.organizations as { ceiling: number; patterns: Record<string, any> };
    expect(organizations.ceiling).toBe(750);
    for (const [pattern, r] of Object.entries(organizations.patterns)) {
      expect(r.deliveredPerHourSteady, pattern).toBeLessThanOrEqual(750);
      expect(r.tooManyRequests, pattern).toBe(0);
    }
    expect(organizations.patterns['bursts'].deliveredPerHourSteady).toBeGreaterThan(bursts['gateway auto'].deliveredPerHourSteady);
  });

  it('overhead: every row measured, with CPU per request, a control, targets and memory', () => {
    const overhead = results.overhead;
    const rows = overhead.rows as { key: string; requestsPerSecond: number; cpuUsPerRequest: number; p99Ms: number; ok: number; failed: number; upstream: any; rounds: any[] }[];
    expect(rows.map((r) => r.key)).toEqual(['plainDefault', 'plainLike', 'plainLikeQuery', 'refused', 'callerRefused', 'query', 'pipeline', 'fullPath', 'control']);
    for (const r of rows) {
      // Plain yoga like for like runs before each of the three rows a target ratio is read for.
      expect(r.rounds, r.key).toHaveLength(overhead.settings.rounds * (r.key === 'plainLike' ? 3 : 1));
      expect(r.ok, r.key).toBeGreaterThan(0);
      expect(r.failed, r.key).toBe(0);
      expect(r.requestsPerSecond, r.key).toBeGreaterThan(0);
      expect(r.p99Ms, r.key).toBeGreaterThan(0);
      // Read from the server process itself: any server answering requests spends some CPU on each.
      expect(r.cpuUsPerRequest, r.key).toBeGreaterThan(0);
    }
    // Only the rows over HTTP reach the emulator, and the gateway batched there.
    for (const r of rows) expect(r.upstream === null, r.key).toBe(!['fullPath', 'control'].includes(r.key));
    expect(rows.find((r) => r.key === 'fullPath')!.upstream.invitationsPerCall).toBeGreaterThan(1);
    expect(overhead.refusedCode).toBe('RATE_LIMITED');
    expect(overhead.authEnforced).toBe(true);
    expect(overhead.clerkClient.cpuUsPerCall).toBeGreaterThan(0);
    expect(overhead.noise.cpu).toBeGreaterThanOrEqual(0);
    expect(overhead.noise.cpu).toBeLessThan(1);
    expect(overhead.noise.plain.median).toBeGreaterThanOrEqual(0);
    // Each target row's ratio reads the plain run right before it, one per round.
    for (const key of ['refused', 'pipeline', 'fullPath']) expect(overhead.baselines[key], key).toHaveLength(overhead.settings.rounds);
    // Every target is evaluated against a finite limit, with a verdict.
    expect(overhead.targets).toHaveLength(5);
    for (const t of overhead.targets) {
      expect(Number.isFinite(t.measured), t.name).toBe(true);
      expect(Number.isFinite(t.limit), t.name).toBe(true);
      expect(t.pass, t.name).toBe(t.measured <= t.limit);
    }
    for (const [server, m] of Object.entries(overhead.memory as Record<string, any>)) {
      expect(m.ready.rss, server).toBeGreaterThan(m.ready.heapUsed);
      expect(m.after.rss, server).toBeGreaterThan(0);
      expect(m.peakRss, server).toBeGreaterThanOrEqual(Math.max(m.ready.rss, m.after.rss));
    }
    for (const row of overhead.startup.rows) expect(row.skipped ?? row.rssMb).toBeTruthy();
    const markdown = readFileSync(output('md'), 'utf8');
    expect(markdown).toMatch(/\| control: a second, identical instance/);
    expect(markdown).toMatch(/\*\*Noise floor:\*\* the control instance/);
    expect(markdown).toMatch(/\| refused createInvitations \(budget spent\), CPU per request \| [\d.]+× \| 1\.2× \| (pass|miss)/);
  });

  it('queue yield: every submission accepted, no window past the ceiling, no more created than offered, and 100 concurrent requests created in at least 10 calls', () => {
    const { patterns, packing, ceiling } = results.queueYield as { ceiling: number; patterns: Record<string, any[]>; packing: any[] };
    expect(Object.keys(patterns)).toEqual(['trickle', 'bursts']);
    for (const [pattern, runs] of Object.entries(patterns)) {
      expect(runs.map((r) => r.store)).toContain('memory');
      for (const r of runs) {
        expect(r.submitErrors, `${pattern} / ${r.store}: ${r.firstSubmitError}`).toBe(0);
        expect(r.created, `${pattern} / ${r.store}`).toBeGreaterThan(0);
        expect(r.created, `${pattern} / ${r.store}`).toBeLessThanOrEqual(r.offered);
        for (const w of r.windows) expect(w.created, `${pattern} / ${r.store}`).toBeLessThanOrEqual(ceiling);
      }
    }
    for (const p of packing) {
      expect(p.created, p.store).toBe(100);
      expect(p.bulkCalls + p.singleCalls, p.store).toBeGreaterThanOrEqual(10);
    }
  });

  it('limiter: every store was measured or says why not', () => {
    for (const store of results.limiter.stores as { name: string; rows: any[] }[]) {
      for (const row of store.rows) {
        if ('skipped' in row) expect(row.skipped).toMatch(/^skipped: /);
        else expect(row.meanUs, `${store.name} at ${row.callers}`).toBeGreaterThan(0);
      }
    }
  });

  it('failure cost: naive spends 11 calls, the gateway no more than 2 on duplicates, every good item delivered or held back retryable', () => {
    const cases = results.failureCost.cases as any[];
    expect(cases).toHaveLength(9);
    expect(results.failureCost.problems).toEqual([]);
    for (const c of cases) expect(c.naive.bulk + c.naive.single).toBe(11);
    for (const c of cases.filter((c) => c.kind === 'duplicate invitation')) expect(c.gatewayAuto.bulk + c.gatewayAuto.single).toBe(2);
    // Isolating a refusal that names nothing stops at the second item refused the same way.
    for (const c of cases.filter((c) => c.kind === 'unattributable error')) {
      if (c.bad === 1) expect(c.gatewayAuto.single).toBe(10);
      else expect(c.gatewayAuto.single).toBeLessThan(10);
    }
  });
});
