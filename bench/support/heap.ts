import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// `npm run bench` starts Node without --expose-gc; turning the flag on at run time and reading `gc`
// from a fresh context is the documented way to get a collector handle anyway.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** heapUsed after a full collection, so a delta counts what is retained, not garbage. */
export function settledHeap(): number {
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}
