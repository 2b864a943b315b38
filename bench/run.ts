import { fileURLToPath } from 'node:url';
import { benchApiKey } from './support/auth.ts';
import { machine, type ScenarioOutput, writeResults } from './support/report.ts';
import { mergeResults } from './support/merge-results.ts';
import { runBudgetYield } from './scenarios/budget-yield.ts';
import { runFailureCost } from './scenarios/failure-cost.ts';
import { runLimiterCost } from './scenarios/limiter-cost.ts';
import { runOverhead } from './scenarios/overhead.ts';
import { runPacking } from './scenarios/packing.ts';
import { runQueueYield } from './scenarios/queue-yield.ts';

/**
 * `npm run bench` runs every scenario and replaces bench/results.{md,json}. `--quick` shrinks each one
 * to a smoke run and, like `--only=packing,overhead`, writes the git-ignored bench/results.quick.* instead;
 * `--only=… --into-results` puts those full-size sections into the committed files, keeping the others.
 */
const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log(`npm run bench [-- --quick] [-- --only=packing,budgetYield,queueYield,overhead,limiter,failureCost [--into-results]]

  --quick          smoke run: every scenario shrunk (overhead: one round of half-second runs, no build); writes bench/results.quick.*
  --only=a,b       only these scenarios, full size; writes bench/results.quick.*
  --into-results   with --only: puts those sections into bench/results.{md,json}, keeping the other sections as they were
  --help           this text

A full run replaces bench/results.md and bench/results.json; docs/performance.md explains the method.`);
  process.exit(0);
}
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const apiKey = benchApiKey();
// Read before the first scenario starts anything, so it shows what else the machine was doing.
const info = machine(quick || only ? 'quick' : 'full');

const scenarios: Record<string, () => Promise<ScenarioOutput>> = {
  packing: () => runPacking({ quick, apiKey }),
  budgetYield: () => runBudgetYield({ quick }),
  queueYield: () => runQueueYield({ quick }),
  overhead: () => runOverhead({ quick, apiKey }),
  limiter: () => runLimiterCost({ quick }),
  failureCost: () => runFailureCost(),
};

const unknown = only?.filter((name) => !(name in scenarios)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; choose from ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}

const outputs: ScenarioOutput[] = [];
for (const [name, run] of Object.entries(scenarios)) {
  if (only && !only.includes(name)) continue;
  const started = performance.now();
  process.stdout.write(`bench: ${name}…`);
  const output = await run();
  output.seconds = (performance.now() - started) / 1000;
  outputs.push(output);
  process.stdout.write(` ${output.seconds.toFixed(1)} s\n`);
}

const dir = fileURLToPath(new URL('.', import.meta.url));
const into = only && !quick && args.includes('--into-results');
const files = into ? await mergeResults(dir, { ...info, mode: 'full' }, outputs) : await writeResults(dir, info, outputs);
console.log(`bench: wrote ${files.join(', ')}`);
// Keep-alive sockets and Redis clients of finished scenarios must not hold the process open.
process.exit(0);
