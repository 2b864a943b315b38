/**
 * Standalone Clerk emulator: `npm run emulator`. Settings come from EMULATOR_PORT (default 4010),
 * EMULATOR_HOST (default 127.0.0.1), EMULATOR_SECRET_KEYS (comma list; one is generated when unset),
 * EMULATOR_BULK_PER_HOUR, EMULATOR_SINGLE_PER_HOUR, EMULATOR_CLOCK_OFFSET_MS (ms Clerk's clock runs
 * ahead of real time, negative for behind), EMULATOR_ORG_BULK_PER_HOUR, EMULATOR_ORG_SINGLE_PER_HOUR,
 * EMULATOR_ORG_LIMIT_SCOPE (instance | organization), EMULATOR_BUDGET_WINDOW (the window the four
 * per-hour limits count over, like the gateway's UPSTREAM_BUDGET_WINDOW: 10s, 1h; default 1h) and
 * EMULATOR_ORG_DUPLICATE_INVITATION (refuse | reuse). Control routes are on.
 */
import { startEmulator } from './emulator.ts';
import { parseEmulatorEnv } from './env-config.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = parseEmulatorEnv();
  } catch (error) {
    process.stderr.write(`Clerk emulator: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const emulator = await startEmulator({
    port: config.port,
    host: config.host,
    secretKeys: config.secretKeys,
    limits: {
      bulkPerHour: config.bulkPerHour,
      singlePerHour: config.singlePerHour,
      orgBulkPerHour: config.orgBulkPerHour,
      orgSinglePerHour: config.orgSinglePerHour,
      orgLimitScope: config.orgLimitScope,
      windowMs: config.windowMs,
    },
    orgDuplicateInvitation: config.orgDuplicateInvitation,
    clockOffsetMs: config.clockOffsetMs,
    control: true,
  });
  const generated = config.secretKeys.length === 0 ? ' (generated; set EMULATOR_SECRET_KEYS to choose)' : '';
  process.stdout.write(
    [
      `Clerk emulator listening on ${emulator.url}`,
      `  apiUrl for @clerk/backend: ${emulator.url}`,
      `  secret keys${generated}: ${emulator.secretKeys.join(', ')}`,
      `  control routes: ${emulator.url}/__emulator/`,
      ...(config.clockOffsetMs !== 0 ? [`  Clerk's clock runs ${config.clockOffsetMs} ms off real time`] : []),
      '',
    ].join('\n'),
  );
  const stop = (signal: string) => {
    process.stdout.write(`Clerk emulator: ${signal}, shutting down\n`);
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Clerk emulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
