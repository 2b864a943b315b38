import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { startEmulator } from './emulator/index.ts';
import { createGatewayServices } from './gateway.ts';
import { MemoryCallerLimitStore, RedisCallerLimitStore } from './limiter/index.ts';
import { createLogger } from './logger.ts';
import { createGatewayYoga } from './server.ts';

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

const gateway = createGatewayServices({ config, logger, clerk });
const callerLimits = gateway.redis ? new RedisCallerLimitStore({ redis: gateway.redis }) : new MemoryCallerLimitStore();
let stopping = false;
const yoga = createGatewayYoga({
  config,
  services: gateway.services,
  logger,
  callerLimits,
  notReadyReasons: async () => (stopping ? ['shutting down'] : []),
});

const server = createServer(yoga);
server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  if (emulator) logger.info(`no CLERK_SECRET_KEY: using the embedded Clerk emulator at ${emulator.url}`);
  logger.info(`GraphiQL: ${base}/graphql`);
});

async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  server.close();
  await gateway.close();
  await emulator?.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
