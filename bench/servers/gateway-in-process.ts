import { inProcessClerk } from './in-process-clerk.ts';

type App = typeof import('../../src/app.ts');
type Config = typeof import('../../src/config.ts');
type Logger = typeof import('../../src/logger.ts');
type NodeServer = typeof import('../../src/node-server.ts');

/**
 * The gateway with Clerk answered in process (`createApp({ upstream })`): configured from the
 * environment like `src/main.ts`, served by the same node server, so the only thing missing is the
 * Clerk client and its HTTP round trip. Run as a process by the overhead scenario, from the production
 * build when BENCH_FROM_BUILD=1 (as the scenario's other gateways run), else from src.
 */
const base = process.env.BENCH_FROM_BUILD === '1' ? '../../dist/src/' : '../../src/';
const ext = process.env.BENCH_FROM_BUILD === '1' ? '.js' : '.ts';
const load = <T>(name: string) => import(new URL(`${base}${name}${ext}`, import.meta.url).href) as Promise<T>;
const [{ createApp }, { loadConfig }, { createLogger }, { createGatewayNodeServer }] = await Promise.all([
  load<App>('app'),
  load<Config>('config'),
  load<Logger>('logger'),
  load<NodeServer>('node-server'),
]);

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
