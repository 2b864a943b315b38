/**
 * `npm run build [-- <outDir>]`: a clean compile of tsconfig.build.json, plus the files src reads at
 * run time next to its modules (the emulator's vendored spec), since tsc copies only what it compiles.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = resolve(process.argv[2] ?? resolve(root, 'dist'));

// Files moved or deleted in src must not linger in the build.
rmSync(outDir, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', resolve(root, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
cpSync(resolve(root, 'src'), resolve(outDir, 'src'), {
  recursive: true,
  filter: (source) => !source.endsWith('.ts') && !source.endsWith('.md'),
});
