import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createGatewayNodeServer } from '../../src/node-server.ts';
import { inProcessClerk } from './in-process-clerk.ts';

/**
 * The gateway with Clerk answered in process (`createApp({ upstream })`): configured from the
 * environment like `src/main.ts`, served by the same node server, so the only thing missing is the
 * Clerk client and its HTTP round trip. Run as a process by the overhead scenario.
 */
const config = loadConfig();
const logger = createLogger({ level: config.server.logLevel, pretty: false });
// Never contacted: the upstream below replaces the Clerk client, and callers present API keys.
const clerk = { secretKey: 'sk_test_in_process', apiUrl: 'http://127.0.0.1:9' };
const app = createApp({ config, logger, clerk, upstream: inProcessClerk() });
const server = createGatewayNodeServer(app.yoga);
server.listen(config.server.port, config.server.host);
process.once('SIGTERM', async () => {
  app.beginShutdown();
  await server.drain();
  await app.close();
  process.exit(0);
});
