import assert from 'node:assert/strict';
import { mkdir, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { REAUTH_ELIGIBLE, type PlatformId } from '../../src/platforms/registry.ts';
import { engines } from '../support/engines.ts';
import { PLATFORM_KITS } from '../support/platform-kits.ts';
import { createListeningTestContext, type ListeningTestContext, type Tenant } from '../support/test-app.ts';
import { connectAccount, newProject } from '../social/helpers.ts';

/**
 * A reconnect link as the person meets it: e-mailed days before, opened in Chromium, consented on
 * the emulator's page, and back on the partner's returnUrl, where the partner (holding the API key
 * on its own server) reads the link and shows the account connected. A revoked link shows a page
 * that says so; both pages are screenshotted.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);
const STEP_TIMEOUT_MS = 10_000;
const PLATFORM = REAUTH_ELIGIBLE[0] as PlatformId;
const DAY = 24 * 60 * 60 * 1000;

/** The partner's returnUrl: it looks the link up with its key and says what became of the account. */
async function startPartner(apiUrl: string, secret: string): Promise<{ url: string; linkId: { current: string }; close(): Promise<void> }> {
  const linkId = { current: '' };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const response = await fetch(`${apiUrl}/v1/social/reconnect-links/${linkId.current}`, { headers: { authorization: `Bearer ${secret}` } });
      const link = (await response.json()) as { status: string; socialAccountId: string };
      const account = (await (await fetch(`${apiUrl}/v1/social-accounts/${link.socialAccountId}/health`, { headers: { authorization: `Bearer ${secret}` } })).json()) as { status: string };
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>Partner app</title><h1 id="result">${account.status === 'connected' ? 'Connected' : 'Not connected'}</h1>
<p>Link ${link.status}; account <code id="account">${link.socialAccountId}</code> is ${account.status}. (${req.url})</p>`);
    })().catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    linkId,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

for (const engine of engines) {
  describe(`browser: a reconnect link opened days later (${engine})`, () => {
    let ctx: ListeningTestContext;
    let tenant: Tenant;
    let browser: Browser;

    before(async () => {
      await mkdir(ARTIFACTS, { recursive: true });
      ctx = await createListeningTestContext(engine, { emulator: true, publicHost: 'localhost' });
      tenant = await ctx.tenant();
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    });
    after(async () => {
      await browser?.close();
      await ctx?.close();
    });

    test('the link reconnects the same account; a revoked link shows a page saying so', async () => {
      const projectId = await newProject(ctx, tenant.secret, 'Browser links');
      const username = `linked_${engine}`;
      const socialAccountId = await connectAccount(ctx, tenant, projectId, PLATFORM, username);
      await fetch(`${ctx.emulatorUrl}/_control/users/${PLATFORM}/${username}/revoke`, { method: 'POST' });
      const health = await ctx.call({ method: 'GET', url: `/v1/social-accounts/${socialAccountId}/health?check=live`, key: tenant.secret });
      assert.equal(health.json().status, 'reauth_required');

      const partner = await startPartner(`http://127.0.0.1:${ctx.port}`, tenant.secret);
      const returnUrl = `${partner.url}/reconnected`;
      const page = await (await browser.newContext({ viewport: { width: 900, height: 700 } })).newPage();
      try {
        const created = await ctx.call({ method: 'POST', url: `/v1/projects/${projectId}/social/reconnect-links`, key: tenant.secret, body: { socialAccountId, returnUrl } });
        assert.equal(created.statusCode, 201, created.body);
        const link = created.json() as { linkId: string; url: string };
        partner.linkId.current = link.linkId;
        ctx.clock.advance(4 * DAY);

        await page.goto(link.url);
        await page.getByRole('button', { name: 'Authorize' }).waitFor({ timeout: STEP_TIMEOUT_MS });
        await page.locator('input[name="username"]').fill(username);
        await Promise.all([
          page.waitForURL((url) => url.href.startsWith(returnUrl), { timeout: STEP_TIMEOUT_MS }),
          page.getByRole('button', { name: 'Authorize' }).click(),
        ]);
        assert.equal(page.url(), `${returnUrl}${PLATFORM_KITS[PLATFORM].landingSuffix}`, 'back on returnUrl with no added parameters');
        assert.equal(await page.locator('#result').textContent(), 'Connected');
        assert.equal(await page.locator('#account').textContent(), socialAccountId, 'the same socialAccountId');
        await page.screenshot({ path: new URL('reconnect-link-return.png', ARTIFACTS).pathname, fullPage: true });
        const read = (await ctx.call({ method: 'GET', url: `/v1/social/reconnect-links/${link.linkId}`, key: tenant.secret })).json();
        assert.deepEqual([read.status, read.clicks], ['used', 1]);

        const revokedLink = (await ctx.call({ method: 'POST', url: `/v1/projects/${projectId}/social/reconnect-links`, key: tenant.secret, body: { socialAccountId, returnUrl } })).json() as { linkId: string; url: string };
        await ctx.call({ method: 'DELETE', url: `/v1/social/reconnect-links/${revokedLink.linkId}`, key: tenant.secret });
        const response = await page.goto(revokedLink.url);
        assert.equal(response?.status(), 410);
        assert.equal(page.url(), revokedLink.url, 'no redirect');
        assert.equal(await page.locator('h1').textContent(), 'This link has been withdrawn');
        assert.match(await page.locator('p').textContent() ?? '', /It was cancelled by the app that sent it\. Ask the app for a new link\./);
        const screenshot = new URL('reconnect-link-revoked.png', ARTIFACTS).pathname;
        await page.screenshot({ path: screenshot, fullPage: true });
        assert.ok((await stat(screenshot)).size > 5_000, 'a screenshot with something on it');
      } catch (error) {
        await page.screenshot({ path: new URL(`failure-reconnect-link-${engine}.png`, ARTIFACTS).pathname, fullPage: true }).catch(() => undefined);
        throw error;
      } finally {
        await page.context().close();
        await partner.close();
      }
    });
  });
}
