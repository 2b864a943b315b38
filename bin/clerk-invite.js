#!/usr/bin/env node
// A checkout with its devDependencies runs the sources through tsx, so it never runs a stale build;
// an installed package (no sources, no tsx) runs the compiled tool from dist/.
import { existsSync } from 'node:fs';

const source = new URL('../tools/invite-csv/main.ts', import.meta.url);
const tsx = existsSync(source) ? await import('tsx/esm/api').catch(() => undefined) : undefined;
if (tsx) {
  tsx.register();
  await import(source.href);
} else {
  await import(new URL('../dist/tools/invite-csv/main.js', import.meta.url).href);
}
