import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.ts';

/** The one place tests and benchmarks start the gateway (or any server of the repo) as a real process. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An API key made with the gateway's own functions, and the GATEWAY_API_KEYS entry that admits it. */
export function testApiKey(name = 'test', limit?: string) {
  const key = generateApiKey();
  const entry = `${name}:${hashApiKey(key)}${limit ? `:${limit}` : ''}`;
  return { key, entry, env: { GATEWAY_API_KEYS: entry }, headers: { authorization: `Bearer ${key}` } };
}

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Sends the signal (SIGTERM by default), then SIGKILL after 5 s, and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** The demo API key, when the gateway printed one (demo mode). */
  demoKey?: string;
}

export interface Launch {
  /** Node arguments: the sources through tsx unless told otherwise (a build, a reference server). */
  args?: string[];
  cwd?: string;
  /** A path that answers 2xx once the server is ready. */
  healthPath?: string;
  timeoutMs?: number;
}

/**
 * A server of this repository as a real process, started the way a container starts it: `node` on the
 * entry point, on a free loopback port. Resolves once `healthPath` answers.
 */
export async function startGatewayProcess(env: Record<string, string>, launch: Launch = {}): Promise<GatewayProcess> {
  const { args = ['--import', 'tsx', 'src/main.ts'], cwd = repoRoot, healthPath = '/healthz', timeoutMs = 30_000 } = launch;
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    return exited;
  };
  const url = `http://127.0.0.1:${port}`;
  const giveUp = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited early (${child.exitCode}):\n${output}`);
    if (await fetch(url + healthPath).then((r) => r.ok, () => false)) break;
    if (Date.now() > giveUp) {
      await stop('SIGKILL');
      throw new Error(`${args.join(' ')} did not start within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child, output: () => output, exited, stop, demoKey: /Authorization: Bearer (\S+)/.exec(output)?.[1] };
}

/**
 * `npm start` without a Clerk key: the gateway with its embedded emulator and a demo key, which it
 * prints before it answers /healthz.
 */
export async function startDemoGateway(env: Record<string, string> = {}, launch: Launch = {}): Promise<GatewayProcess> {
  // Demo mode needs the Clerk key unset; a developer's shell may have one.
  const gateway = await startGatewayProcess({ NODE_ENV: 'development', CLERK_SECRET_KEY: '', ...env }, launch);
  // The key is printed as the listener opens; its line may trail the first answer to /healthz.
  for (let i = 0; i < 50 && !gateway.demoKey; i++) {
    await new Promise((r) => setTimeout(r, 100));
    gateway.demoKey = /Authorization: Bearer (\S+)/.exec(gateway.output())?.[1];
  }
  return gateway;
}
