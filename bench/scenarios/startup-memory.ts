import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startGatewayProcess } from '../../test/support/gateway-process.ts';
import type { BenchApiKey } from '../support/auth.ts';
import { rssOf } from '../support/probed-server.ts';
import { repoRoot } from '../support/processes.ts';
import { type ClerkTarget, gatewayEnv } from '../support/targets.ts';

export interface StartupRss {
  name: string;
  /** Resident set size once the server answers /healthz and has settled a second; null when skipped. */
  rssMb: number | null;
  skipped?: string;
}

const MB = 1024 * 1024;
const entry = join(repoRoot, 'dist/src/main.js');

/** RSS of the compiled entry point started with `env`, once ready; what a container would hold at rest. */
async function rssAtReady(env: Record<string, string>): Promise<number | null> {
  const server = await startGatewayProcess(env, { args: ['dist/src/main.js'], timeoutMs: 60_000 });
  try {
    await new Promise((r) => setTimeout(r, 1_000));
    const rss = rssOf(server.child.pid);
    return rss === undefined ? null : rss / MB;
  } finally {
    await server.stop();
  }
}

/**
 * Start-up RSS of what users run: `npm start` (the build, then `node dist/src/main.js` with the
 * embedded demo emulator) and the production build talking to a Clerk (here the emulator, through
 * CLERK_API_URL). A full run builds first; a quick run skips them.
 */
export async function measureStartupRss({ quick, clerk, apiKey }: { quick: boolean; clerk: ClerkTarget; apiKey: BenchApiKey }): Promise<{ rows: StartupRss[]; built: boolean }> {
  const names = ['`npm start` (dist, embedded demo emulator)', 'production build (`node dist/src/main.js`, CLERK_SECRET_KEY + CLERK_API_URL)'];
  // A build takes half a minute of CPU; the smoke run leaves these rows out and says so.
  if (quick) return { built: false, rows: names.map((name) => ({ name, rssMb: null, skipped: 'skipped: quick run' })) };
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: repoRoot, maxBuffer: 1 << 22 });
  if (!existsSync(entry)) throw new Error(`the build wrote no ${entry}`);
  const demo = await rssAtReady({ NODE_ENV: 'development', CLERK_SECRET_KEY: '', LOG_LEVEL: 'warn' });
  const production = await rssAtReady({ ...gatewayEnv(clerk, apiKey), PORT: '', HOST: '' });
  return { built: true, rows: [{ name: names[0]!, rssMb: demo }, { name: names[1]!, rssMb: production }] };
}
