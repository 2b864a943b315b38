import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { startEmulator } from './emulator/index.ts';
import { createApp } from './app.ts';
import { createLogger } from './logger.ts';

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

const config = readConfig();
const logger = createLogger({ level: config.logLevel, pretty: process.stdout.isTTY });

// Without a Clerk key the gateway brings its own Clerk: the emulator, on a free loopback port.
const emulator = config.clerkSecretKey
  ? undefined
  : await startEmulator({
      port: 0,
      secretKeys: [`sk_test_emulator_${randomBytes(12).toString('hex')}`],
      limits: { bulkPerHour: config.upstreamBulkPerHour, singlePerHour: config.upstreamSinglePerHour },
      control: true,
    });
const clerk = emulator
  ? { secretKey: emulator.secretKeys[0]!, apiUrl: emulator.url }
  : { secretKey: config.clerkSecretKey!, apiUrl: config.clerkApiUrl };

const app = createApp({ config, logger, clerk });
const server = createServer(app.yoga);
server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  if (emulator) logger.info(`no CLERK_SECRET_KEY: using the embedded Clerk emulator at ${emulator.url}`);
  logger.info(`GraphiQL: ${base}/graphql`);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  server.close();
  await app.close();
  await emulator?.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
