/** `clerk-invite` / `npm run invite`: see USAGE in args.ts. */
import { runCli } from './cli.ts';
import { barReporter } from './progress.ts';

const stop = new AbortController();
const abort = new AbortController();
// First Ctrl-C: finish the request in flight and save, so no row is left with an unknown outcome.
// Second: abandon it; those rows are recorded as unknown and are not resent blindly.
process.on('SIGINT', () => {
  if (!stop.signal.aborted) {
    process.stderr.write('\nstopping after the request in flight; Ctrl-C again to abandon it (its rows would need a check)\n');
    stop.abort();
  } else abort.abort();
});
process.on('SIGTERM', () => stop.abort());

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  reporter: process.stderr.isTTY ? () => barReporter(process.stderr) : undefined,
  stopSignal: stop.signal,
  abortSignal: abort.signal,
});
process.exitCode = code;
