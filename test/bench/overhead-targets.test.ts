import { describe, expect, it } from 'vitest';
import type { Slot } from '../../bench/scenarios/overhead-load.ts';
import type { ServerKey } from '../../bench/scenarios/overhead-servers.ts';
import { checkTargets } from '../../bench/scenarios/overhead-targets.ts';
import type { MemorySeen, RowSummary } from '../../bench/scenarios/overhead-types.ts';

const MB = 1024 * 1024;
const slot = (cpuUsPerRequest: number): Slot => ({ requestsPerSecond: 1, p50Ms: 1, p99Ms: 10, ok: 1, failed: 0, cpuUsPerRequest, busyPercent: 100 });
const row = (key: string, cpu: readonly number[]): RowSummary => ({
  key, label: key, requestsPerSecond: 1, p50Ms: 1, p99Ms: 10, cpuUsPerRequest: cpu[0]!, busyPercent: 100, failed: 0, upstream: null, ok: 1, rounds: cpu.map(slot),
});
const reading = (rssMb: number) => ({ cpuUs: 0, rss: rssMb * MB, heapUsed: 0, heapTotal: 0 });
const grew = (mb: number): MemorySeen => ({ ready: reading(100), after: reading(100 + mb), peakRss: (100 + mb) * MB });

/** CPU per request by row and round; `baseline`: each round's plain run right before the target rows. */
function targets({ cpu = {}, baseline = [100], growth = { gateway: 20, control: 20, plain: 2 } }: { cpu?: Record<string, number[]>; baseline?: number[]; growth?: { gateway: number; control: number; plain: number } }) {
  const rounds = baseline.length;
  const cpuOf = (key: string, fallback: number) => cpu[key] ?? Array.from({ length: rounds }, () => fallback);
  const by = Object.fromEntries(
    [row('plainLike', cpuOf('plainLike', 100)), row('plainDefault', cpuOf('plainDefault', 200)), row('refused', cpuOf('refused', 110)), row('pipeline', cpuOf('pipeline', 120)), row('fullPath', cpuOf('fullPath', 200))].map((r) => [r.key, r]),
  );
  const baselines = Object.fromEntries(['refused', 'pipeline', 'fullPath'].map((key) => [key, baseline.map(slot)]));
  const memory = { plainLike: grew(growth.plain), gateway: grew(growth.gateway), control: grew(growth.control) } as Record<ServerKey, MemorySeen>;
  const settings = { connections: 50, firstWarmSeconds: 0, warmSeconds: 1, measureSeconds: 1, rounds, batchWindowMs: 20 };
  const { rows, results } = checkTargets({ by, baselines, memory, clientPerRequest: 50, settings, noise: 0 });
  const find = (prefix: string) => {
    const index = results.findIndex((t) => t.name.startsWith(prefix));
    return { result: results[index]!, row: rows[index]! };
  };
  return { refused: find('refused'), rss: find('RSS growth') };
}

describe('overhead targets: CPU ratios', () => {
  it('divide each round by the plain run right before the row, not by plain yoga in another part of the round', () => {
    // Plain's own row (measured elsewhere in the round) says 100, 100, 100; the runs right before the
    // refused row caught a slow host in two rounds, as the refused row did.
    const { refused } = targets({ cpu: { plainLike: [100, 100, 100], refused: [110, 220, 330] }, baseline: [100, 200, 300] });
    expect(refused.result.measured).toBeCloseTo(1.1);
    expect(refused.result.pass).toBe(true);
  });
});

describe('overhead targets: RSS growth', () => {
  it('passes under the limit (1.5 × plain growth + 50 MB)', () => {
    const { rss } = targets({ growth: { gateway: 52, control: 60, plain: 2 } });
    expect(rss.result).toMatchObject({ limit: 53, pass: true });
    expect(rss.row[1]).toBe('52 MB (control instance 60 MB)');
  });

  it('calls a miss within noise only when it is smaller than the gap between the two identical gateways', () => {
    const near = targets({ growth: { gateway: 64.2, control: 21.7, plain: 2 } }).rss;
    expect(near.result).toMatchObject({ pass: false, withinNoise: true });
    expect(near.row[3]).toBe('miss by 11.2 MB, within noise');
    const far = targets({ growth: { gateway: 64.2, control: 60, plain: 2 } }).rss;
    expect(far.result).toMatchObject({ pass: false, withinNoise: false });
    expect(far.row[3]).toBe('miss by 11.2 MB');
  });
});
