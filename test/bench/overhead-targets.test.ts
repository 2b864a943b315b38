import { describe, expect, it } from 'vitest';
import type { Slot } from '../../bench/scenarios/overhead-load.ts';
import type { ServerKey } from '../../bench/scenarios/overhead-servers.ts';
import { checkTargets } from '../../bench/scenarios/overhead-targets.ts';
import type { MemorySeen, RowSummary } from '../../bench/scenarios/overhead-types.ts';

const MB = 1024 * 1024;
const slot = (cpuUsPerRequest: number): Slot => ({ requestsPerSecond: 1, p50Ms: 1, p99Ms: 10, ok: 1, failed: 0, cpuUsPerRequest, busyPercent: 100 });
const row = (key: string, cpu: number): RowSummary => ({
  key, label: key, requestsPerSecond: 1, p50Ms: 1, p99Ms: 10, cpuUsPerRequest: cpu, busyPercent: 100, failed: 0, upstream: null, ok: 1, rounds: [slot(cpu)],
});
const reading = (rssMb: number) => ({ cpuUs: 0, rss: rssMb * MB, heapUsed: 0, heapTotal: 0 });
const grew = (mb: number): MemorySeen => ({ ready: reading(100), after: reading(100 + mb), peakRss: (100 + mb) * MB });

function rssTarget(gatewayMb: number, controlMb: number, plainMb = 2) {
  const by = Object.fromEntries(
    [row('plainLike', 100), row('plainDefault', 200), row('refused', 110), row('pipeline', 120), row('fullPath', 200)].map((r) => [r.key, r]),
  );
  const memory = { plainLike: grew(plainMb), gateway: grew(gatewayMb), control: grew(controlMb) } as Record<ServerKey, MemorySeen>;
  const settings = { connections: 50, firstWarmSeconds: 0, warmSeconds: 1, measureSeconds: 1, rounds: 1, batchWindowMs: 20 };
  const { rows, results } = checkTargets({ by, memory, clientPerRequest: 50, settings, noise: 0 });
  const index = results.findIndex((t) => t.unit === 'MB');
  return { result: results[index]!, row: rows[index]! };
}

describe('overhead targets: RSS growth', () => {
  it('passes under the limit (1.5 × plain growth + 50 MB)', () => {
    const { result, row } = rssTarget(52, 60);
    expect(result).toMatchObject({ limit: 53, pass: true });
    expect(row[1]).toBe('52 MB (control instance 60 MB)');
  });

  it('calls a miss within noise only when it is smaller than the gap between the two identical gateways', () => {
    const near = rssTarget(64.2, 21.7);
    expect(near.result).toMatchObject({ pass: false, withinNoise: true });
    expect(near.row[3]).toBe('miss by 11.2 MB, within noise');
    const far = rssTarget(64.2, 60);
    expect(far.result).toMatchObject({ pass: false, withinNoise: false });
    expect(far.row[3]).toBe('miss by 11.2 MB');
  });
});
