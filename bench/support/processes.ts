import { freePort, repoRoot, startGatewayProcess } from '../../test/support/gateway-process.ts';
import { type ChildProcess, fork } from 'node:child_process';


export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export { freePort, repoRoot };

const started = new Set<ChildProcess>();
// A crashed run must not leave servers behind holding ports; only children this module started are touched.
process.once('exit', () => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
});


function track(child: ChildProcess): { output: () => string; stop: () => Promise<void> } {
  started.add(child);
  let output = '';
  child.stdout?.on('data', (d) => (output = (output + d).slice(-8_000)));
  child.stderr?.on('data', (d) => (output = (output + d).slice(-8_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      started.delete(child);
    },
  };
}

/** Runs `entry` (a .ts file under the repo) with tsx, as `npm start` would, and waits until `healthPath` answers. */
export async function startServerProcess(entry: string, env: Record<string, string>, healthPath: string): Promise<ServerProcess> {
  const server = await startGatewayProcess(env, { args: ['--import', 'tsx', entry], healthPath });
  started.add(server.child);
  return {
    url: server.url,
    child: server.child,
    async stop() {
      await server.stop();
      started.delete(server.child);
    },
  };
}

/** Runs `entry` with tsx and an IPC channel; resolves with its first message, which must say it is ready. */
export async function forkWithIpc<T>(entry: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; ready: T; stop(): Promise<void> }> {
  const child = fork(entry, [], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const { output, stop } = track(child);
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not report ready:\n${output()}`)), 30_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message as T);
    });
    child.once('exit', (code) => reject(new Error(`${entry} exited early (${code}):\n${output()}`)));
  });
  return { child, ready, stop };
}

/** Sends one request over IPC and waits for the child's next message. */
export function ask<T>(child: ChildProcess, request: unknown): Promise<T> {
  return new Promise<T>((resolve) => {
    child.once('message', (message) => resolve(message as T));
    child.send(request as object);
  });
}
