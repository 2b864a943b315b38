import { randomBytes } from 'node:crypto';
import { createDemoKey } from './auth/demo-key.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { clampWarnings } from './config-warnings.ts';
import { createApp } from './app.ts';
import { DEMO_ORGANIZATION_ID } from './graphiql-example.ts';
import { createLogger } from './logger.ts';
import { startMetricsServer } from './metrics-server.ts';
import { createGatewayNodeServer } from './node-server.ts';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

const loaded = readConfig();
const logger = createLogger({ level: loaded.server.logLevel, pretty: process.stdout.isTTY });
for (const warning of clampWarnings(loaded)) logger.warn(warning);

// Without a Clerk key the gateway brings its own Clerk: the emulator, on a free loopback port.
// (loadConfig refuses this in production.)
// Imported only then: with a Clerk key the emulator (its OpenAPI validator and spec) is never loaded.
const emulator = loaded.clerk.secretKey
  ? undefined
  : await (await import('./emulator/index.ts')).startEmulator({
      port: 0,
      secretKeys: [`sk_test_emulator_${randomBytes(12).toString('hex')}`],
      limits: {
        bulkPerHour: loaded.upstream.bulkPerHour,
        singlePerHour: loaded.upstream.singlePerHour,
        orgBulkPerHour: loaded.upstream.orgBulkPerHour,
        orgSinglePerHour: loaded.upstream.orgSinglePerHour,
        windowMs: loaded.upstream.budgetWindowMs,
      },
      control: true,
    });
// The demo organization GraphiQL's "invite teammates" tab invites into.
emulator?.seedOrganization({ id: DEMO_ORGANIZATION_ID, name: 'Demo' });
const clerk = emulator
  ? { secretKey: emulator.secretKeys[0]!, apiUrl: emulator.url }
  : { secretKey: loaded.clerk.secretKey!, apiUrl: loaded.clerk.apiUrl };

// Demo mode: a key that lives as long as this process, so GraphiQL works at once and nothing is open.
const demo = emulator ? createDemoKey() : undefined;
const config: Config = demo ? { ...loaded, access: { ...loaded.access, apiKeys: [...loaded.access.apiKeys, demo.entry] } } : loaded;

// Before the app, so its first spans have a provider; without an endpoint no SDK is started and the exporter is not even loaded.
const tracing = config.telemetry.tracesUrl
  ? (await import('./telemetry/start-tracing.ts')).startTracing({ url: config.telemetry.tracesUrl, serviceName: config.telemetry.serviceName })
  : undefined;
if (tracing) logger.info(`tracing: spans go to ${new URL(config.telemetry.tracesUrl!).host} as OTLP/HTTP JSON`);
const app = createApp({ config, logger, clerk, graphiqlHeaders: demo?.headers });
// Metrics listen first: a bad METRICS_PORT stops the start instead of leaving an unwatched gateway.
const metricsServer =
  config.metrics.enabled && config.metrics.port !== undefined
    ? await startMetricsServer({ registry: app.metrics.registry, host: config.metrics.host, port: config.metrics.port, token: config.metrics.token }).catch(
        (error: NodeJS.ErrnoException) => {
          logger.fatal(`METRICS_PORT=${config.metrics.port}: cannot listen on ${config.metrics.host} (${error.code ?? error.message})`);
          process.exit(2);
        },
      )
    : undefined;
if (metricsServer) logger.info(`metrics: ${metricsServer.url}/metrics`);
else if (config.metrics.enabled && !config.metrics.token) logger.info('metrics are collected but not served: set METRICS_PORT (or METRICS_TOKEN to serve them on this port)');
const server = createGatewayNodeServer(app.yoga);
server.listen(config.server.port, config.server.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const base = `http://${config.server.host === '0.0.0.0' ? 'localhost' : config.server.host}:${port}`;
  if (emulator) logger.info(`no CLERK_SECRET_KEY: using the embedded Clerk emulator at ${emulator.url}`);
  if (demo) {
    // Straight to stdout, once: the logger would redact it, and log shippers should never see it.
    process.stdout.write(`demo API key (valid until this process exits; GraphiQL already sends it):\n  Authorization: Bearer ${demo.key}\n`);
    if (!['127.0.0.1', '::1', 'localhost'].includes(config.server.host)) {
      logger.warn(`HOST=${config.server.host}: GraphiQL hands the demo API key to anyone who can reach this address`);
    }
  }
  logger.info(`listening on ${base}`);
  if (config.server.graphiql) logger.info(`GraphiQL: ${base}/graphql`);
});

let stopping = false;
/**
 * Readiness goes red first, then the listener closes, queued items leave at once, every request in
 * flight is answered, and only then Redis closes. A stuck step cannot hold the process forever.
 */
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: finishing requests in flight');
  const limitMs = config.server.requestTimeoutMs + 5_000;
  setTimeout(() => {
    logger.error({ limitMs }, 'shutdown did not finish in time; exiting');
    process.exit(1);
  }, limitMs).unref();
  app.beginShutdown();
  await server.drain();
  await app.close();
  await tracing?.shutdown().catch((error: Error) => logger.warn({ err: { message: error.message } }, 'could not send the last spans'));
  await metricsServer?.close();
  await emulator?.close();
  logger.info('shut down cleanly');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
