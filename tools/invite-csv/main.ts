/** `clerk-invite` / `npm run invite`: see USAGE in args.ts. */
import { runCli } from './cli.ts';
import { barReporter, StatusLine } from './progress.ts';

// On a terminal every stderr line goes through the status line, so none lands in the middle of it.
const status = process.stderr.isTTY ? new StatusLine(process.stderr) : undefined;
const err = (line: string) => (status ? status.log(line) : process.stderr.write(`${line}\n`));

const stop = new AbortController();
const abort = new AbortController();
// First Ctrl-C: finish the request in flight and save, so no row is left with an unknown outcome.
// Second: abandon it; those rows are recorded as unknown and are not resent blindly.
// Following queued jobs sends nothing, so there is no request to finish: the jobs go on in the gateway.
const following = process.argv.some((arg) => arg === '--follow' || arg === '--job' || arg.startsWith('--job='));
process.on('SIGINT', () => {
  if (!stop.signal.aborted) {
    err(following ? 'stopping; the jobs go on in the gateway' : 'stopping after the request in flight; Ctrl-C again to abandon it (its rows would need a check)');
    stop.abort();
  } else abort.abort();
});
process.on('SIGTERM', () => stop.abort());

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err,
  reporter: status ? () => barReporter(status) : undefined,
  stopSignal: stop.signal,
  abortSignal: abort.signal,
});
process.exitCode = code;
