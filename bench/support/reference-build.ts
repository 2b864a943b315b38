import { execFile } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './processes.ts';

const outDir = join(repoRoot, 'dist/bench-reference');

/** The plain yoga server compiled like the production build, in the build's tree. */
export const REFERENCE_ENTRY = 'dist/bench-reference/bench/servers/reference-main.js';

/**
 * Compiles the plain yoga reference server (and the few repo files it imports) with tsc, as the
 * production build compiles the gateway, so neither side of a ratio runs through tsx. Under tsx each
 * function created at run time is named by a property definition (esbuild's keepNames), about 0.8 µs
 * apiece on the bench machine, and the reference creates a few per request. Runs after the production
 * build, which empties dist/ first.
 */
export async function buildReference(): Promise<string> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // Options as tsconfig.build.json has them; files on the command line, so tsconfig.json is not read.
  const options = ['--outDir', outDir, '--rootDir', repoRoot, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022'];
  const relaxed = ['--rewriteRelativeImportExtensions', '--allowImportingTsExtensions', '--verbatimModuleSyntax', '--esModuleInterop', '--resolveJsonModule', '--skipLibCheck', '--noCheck', '--types', 'node'];
  await promisify(execFile)(process.execPath, [tsc, ...options, ...relaxed, join(repoRoot, 'bench/servers/reference-main.ts')], { cwd: repoRoot, maxBuffer: 1 << 22 });
  if (!existsSync(join(repoRoot, REFERENCE_ENTRY))) throw new Error(`tsc wrote no ${REFERENCE_ENTRY}`);
  // The compiled server finds its root two levels above its test/support helper, as the source does.
  copyFileSync(join(repoRoot, 'schema.graphql'), join(outDir, 'schema.graphql'));
  return REFERENCE_ENTRY;
}
