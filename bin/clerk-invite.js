#!/usr/bin/env node
// The tool is TypeScript run by tsx (a dependency), so there is no build step to forget before use.
import { register } from 'tsx/esm/api';

register();
await import('../tools/invite-csv/main.ts');
