import { createServer } from 'node:http';
import { type BodyLimit, createReferenceYoga, type ReferenceMode } from './reference-yoga.ts';

// Run as a process by the benchmarks: REFERENCE_MODE, REFERENCE_BODY_LIMIT, PORT, HOST, and for `naive` CLERK_SECRET_KEY / CLERK_API_URL.
const mode = (process.env.REFERENCE_MODE ?? 'immediate') as ReferenceMode;
const clerk = process.env.CLERK_SECRET_KEY ? { secretKey: process.env.CLERK_SECRET_KEY, apiUrl: process.env.CLERK_API_URL ?? '' } : undefined;
const bodyLimit = (process.env.REFERENCE_BODY_LIMIT ?? 'yoga-default') as BodyLimit;
const server = createServer(createReferenceYoga(mode, clerk, bodyLimit));
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
