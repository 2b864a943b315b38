import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  child = undefined;
});

/** `npm start` as a user would run it, with a clean environment: no Clerk key, so demo mode. */
function start(env: Record<string, string>) {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  const output = { stdout: '', stderr: '' };
  proc.stdout!.on('data', (chunk) => (output.stdout += String(chunk)));
  proc.stderr!.on('data', (chunk) => (output.stderr += String(chunk)));
  return { proc, output };
}

async function waitFor(check: () => RegExpMatchArray | null, what: string, ms = 20_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const match = check();
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('demo mode (no CLERK_SECRET_KEY)', () => {
  it('prints a fresh API key once, fills it into GraphiQL, and requires it', async () => {
    const { output } = start({ NODE_ENV: 'development' });
    const [, url] = await waitFor(() => /GraphiQL: (http:\/\/127\.0\.0\.1:\d+\/graphql)/.exec(output.stdout), 'the GraphiQL line');
    const [, key] = await waitFor(() => /Authorization: Bearer (gwk_[\w-]+)/.exec(output.stdout), 'the demo key');
    expect(output.stdout.split(key!).length - 1).toBe(1);

    const page = await fetch(url!, { headers: { accept: 'text/html' } });
    expect(await page.text()).toContain(key);

    const query = JSON.stringify({ query: '{ gatewayStatus { pendingInvitations } }' });
    const post = (headers: Record<string, string>) => fetch(url!, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: query });
    expect((await post({ authorization: `Bearer ${key}` })).status).toBe(200);
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: 'Bearer gwk_guessed' })).status).toBe(401);
  });

  it('refuses to start with NODE_ENV=production', async () => {
    const { proc, output } = start({ NODE_ENV: 'production' });
    const [code] = await once(proc, 'exit');
    expect(code).toBe(2);
    expect(output.stderr).toMatch(/CLERK_SECRET_KEY=unset: required when NODE_ENV=production/);
  });
});
