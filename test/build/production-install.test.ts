import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startDemoGateway, type GatewayProcess } from '../support/gateway-process.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * What a container does: build, pack, `npm ci --omit=dev` next to the lockfile, `node dist/src/main.js`.
 * Everything runs in a temporary folder, so the checkout's own node_modules cannot stand in for a
 * missing dependency or a file the package forgot to ship.
 */
describe('the packed build installed without devDependencies', () => {
  const work = mkdtempSync(join(tmpdir(), 'gateway-build-'));
  const stage = join(work, 'stage');
  const app = join(work, 'app');
  let gateway: GatewayProcess | undefined;

  afterAll(async () => {
    await gateway?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  // About 25 s on an idle 2-core machine, nearly all of it tsc and npm; the limit only catches a hang,
  // and leaves room for a machine busy with the rest of the suite.
  it('serves createInvitations in demo mode with no tsx, TypeScript or sources installed', { timeout: 300_000 }, async () => {
    await run(process.execPath, ['--import', 'tsx', 'scripts/build.ts', join(stage, 'dist')], { cwd: root });
    copyFileSync(join(root, 'package.json'), join(stage, 'package.json'));
    cpSync(join(root, 'bin'), join(stage, 'bin'), { recursive: true });
    const packed = await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: stage });
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];

    mkdirSync(app);
    await run('tar', ['-xzf', join(work, filename), '-C', app, '--strip-components=1']);
    copyFileSync(join(root, 'package-lock.json'), join(app, 'package-lock.json'));
    await run(npm, ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app });

    for (const devOnly of ['tsx', 'typescript', 'vitest', 'esbuild']) expect(existsSync(join(app, 'node_modules', devOnly)), devOnly).toBe(false);
    expect(existsSync(join(app, 'src')), 'sources shipped').toBe(false);

    gateway = await startDemoGateway({}, { cwd: app, args: ['dist/src/main.js'], timeoutMs: 60_000 });
    expect(gateway.demoKey).toBeTruthy();
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gateway.demoKey}` },
      body: JSON.stringify({
        query: 'mutation($invitations: [InvitationInput!]!) { createInvitations(invitations: $invitations) { results { __typename } } }',
        variables: { invitations: [{ emailAddress: 'ada@example.com' }] },
      }),
    });
    const body = (await response.json()) as { data?: { createInvitations: { results: { __typename: string }[] } }; errors?: unknown };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data?.createInvitations.results).toEqual([{ __typename: 'InvitationCreated' }]);
  });

  it('runs the clerk-invite bin from the build', { timeout: 30_000 }, async () => {
    expect(existsSync(join(app, 'dist')), 'the install above did not happen').toBe(true);
    const { stdout } = await run(process.execPath, [join(app, 'bin', 'clerk-invite.js'), '--help'], { cwd: app });
    expect(stdout).toMatch(/^Usage: clerk-invite/);
  });
});
