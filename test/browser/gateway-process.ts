import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface GatewayProcess {
  /** GraphiQL and the GraphQL endpoint, as the gateway printed it. */
  url: string;
  /** The demo API key, when the gateway printed one. */
  demoKey: string | undefined;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `npm start` without a Clerk key, as a child process: the gateway with its embedded emulator, on a
 * port the OS picks (PORT=0), loopback only. Resolves once it has printed its GraphiQL URL.
 */
export async function startGatewayProcess(
  env: Record<string, string> = {},
  timeoutMs = 20_000,
  /** Where and how to start it: the sources through tsx unless told otherwise (a build, for one). */
  launch: { cwd: string; args: string[] } = { cwd: ROOT, args: ['--import', 'tsx', 'src/main.ts'] },
): Promise<GatewayProcess> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'development', LOG_LEVEL: 'info', ...env };
  // Demo mode needs the Clerk key unset; a developer's shell may have one.
  delete childEnv.CLERK_SECRET_KEY;
  const child: ChildProcess = spawn(process.execPath, launch.args, { cwd: launch.cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer) => (output += chunk.toString());
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway printed no GraphiQL URL within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      const match = /GraphiQL: (http:\/\/\S+?\/graphql)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited (${code}) before it was ready:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  const demoKey = /Authorization: Bearer (\S+)/.exec(output)?.[1];
  return { url, demoKey, output: () => output, stop };
}
