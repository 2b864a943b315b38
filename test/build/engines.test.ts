import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

interface LockedPackage {
  version?: string;
  dev?: boolean;
  engines?: { node?: string } | string[];
}

const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, LockedPackage> };
const declared = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } }).engines.node;

/** Every package `npm ci --omit=dev` installs, with the Node range it declares. */
function runtimeEngines(): { name: string; node: string }[] {
  return Object.entries(lock.packages).flatMap(([path, entry]) => {
    // Old packages may still carry the array form of engines, which npm ignores.
    const node = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
    if (!path || entry.dev || !node) return [];
    return [{ name: `${path.replace(/^.*node_modules\//, '')}@${entry.version}`, node }];
  });
}

describe('engines.node', () => {
  it('admits no Node version that a runtime dependency in the lockfile excludes', () => {
    const engines = runtimeEngines();
    expect(engines.length).toBeGreaterThan(50);
    const excluding = engines.filter(({ node }) => semver.validRange(node) && !semver.subset(declared, node)).map(({ name, node }) => `${name} wants ${node}`);
    expect(excluding, `package.json says ${declared}`).toEqual([]);
  });

  it('admits no end-of-life line: nothing below Node 22', () => {
    expect(semver.minVersion(declared)!.major).toBeGreaterThanOrEqual(22);
    expect(semver.satisfies('20.20.2', declared)).toBe(false);
  });
});
