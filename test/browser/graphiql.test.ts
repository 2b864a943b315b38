/**
 * GraphiQL as a person uses it: the gateway started like `npm start`, the page in headless Chromium,
 * a click on the run button, and the created invitation in the result panel. Debian's Chromium is
 * driven by playwright-core; no browser is downloaded and no request leaves this machine.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, startDemoGateway } from '../support/gateway-process.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOT = fileURLToPath(new URL('../../test-artifacts/graphiql.png', import.meta.url));
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/graphiql.png', import.meta.url));

let gateway: GatewayProcess | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
});

describe('GraphiQL', () => {
  it('runs the example createOrganizationInvitations (invite teammates) with the pre-filled headers and shows the created invitation', { timeout: 60_000 }, async (ctx) => {
    if (!existsSync(CHROMIUM)) ctx.skip(`${CHROMIUM} is not installed (apt-get install -y chromium); the GraphiQL browser test needs it`);
    gateway = await startDemoGateway();
    const html = await (await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } })).text();
    expect(html).toContain('Clerk invitation gateway');
    // The gateway serves GraphiQL itself: the page must work with no CDN reachable.
    expect(html).not.toMatch(/https:\/\/unpkg\.com/);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    const origin = new URL(gateway.url).origin;
    const blocked: string[] = [];
    await page.route('**/*', async (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    await page.goto(`${gateway.url}/graphql`);
    const runButton = page.locator('.graphiql-execute-button');
    await runButton.waitFor({ state: 'visible', timeout: 30_000 });
    await expect.poll(() => page.locator('.graphiql-query-editor').innerText(), { timeout: 15_000 }).toContain('InviteTeammates');

    const [request] = await Promise.all([
      page.waitForRequest((r) => r.method() === 'POST' && r.url() === `${gateway!.url}/graphql` && (r.postData() ?? '').includes('createOrganizationInvitations')),
      runButton.click(),
    ]);
    // The demo key the gateway printed is what GraphiQL sent: nobody pasted it in.
    expect(gateway.demoKey, `no demo key in the gateway's output:\n${gateway.output()}`).toMatch(/\S/);
    expect(request.headers().authorization).toBe(`Bearer ${gateway.demoKey}`);

    const result = page.locator('.graphiql-response');
    await expect.poll(() => result.innerText(), { timeout: 20_000 }).toMatch(/"__typename":\s*"OrganizationInvitationCreated"/);
    const text = await result.innerText();
    expect(text).toMatch(/"id":\s*"orginv_\w+"/);
    expect(text).toMatch(/"emailAddress":\s*"ada@example\.com"/);
    expect(text).not.toMatch(/UNAUTHENTICATED|FORBIDDEN/);

    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    // The README's picture is refreshed on purpose only, so a test run never changes tracked files.
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') await copyFile(SCREENSHOT, DOCS_SCREENSHOT);
    expect(pageErrors).toEqual([]);
    expect(blocked.filter((url) => !url.includes('favicon'))).toEqual([]);
  });

  it('opens the "Queue an import" tab and queues a job from it with the demo key', { timeout: 60_000 }, async (ctx) => {
    if (!existsSync(CHROMIUM)) ctx.skip(`${CHROMIUM} is not installed (apt-get install -y chromium); the GraphiQL browser test needs it`);
    gateway ??= await startDemoGateway();
    browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${gateway.url}/graphql`);
    const queueTab = page.locator('.graphiql-tab', { hasText: 'QueueAnImport' });
    await queueTab.waitFor({ state: 'visible', timeout: 30_000 });
    await queueTab.click();
    await expect.poll(() => page.locator('.graphiql-query-editor').innerText(), { timeout: 15_000 }).toContain('submitInvitations');

    // Three operations in the tab: the run button asks which one. GraphiQL reads the tab's operations a
    // moment after its text shows; a click before that still carries the first tab's operation name
    // ("Cannot infer operation InviteTeammates", nothing sent), so click until it asks.
    const menuItem = page.getByRole('menuitem', { name: 'QueueAnImport' });
    await expect
      .poll(
        async () => {
          if (!(await menuItem.isVisible())) await page.locator('.graphiql-execute-button').click();
          return menuItem.waitFor({ state: 'visible', timeout: 1_000 }).then(
            () => true,
            () => false,
          );
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.method() === 'POST' && (r.postData() ?? '').includes('"operationName":"QueueAnImport"')),
      menuItem.click(),
    ]);
    expect(request.headers().authorization).toBe(`Bearer ${gateway.demoKey}`);
    const result = page.locator('.graphiql-response');
    await expect.poll(() => result.innerText(), { timeout: 20_000 }).toMatch(/"id":\s*"[^"]+"/);
    const text = await result.innerText();
    expect(text).toMatch(/"total":\s*4/);
    expect(text).toMatch(/"failedCount":\s*1/);
    expect(text).not.toMatch(/UNAUTHENTICATED|FORBIDDEN|"errors"/);
    expect(pageErrors).toEqual([]);
  });
});
