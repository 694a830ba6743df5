import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PLATFORMS, REAUTH_ELIGIBLE, type PlatformId } from '../../src/platforms/registry.ts';
import { engines } from '../support/engines.ts';
import { PLATFORM_KITS } from '../support/platform-kits.ts';
import { createListeningTestContext, type ListeningTestContext, type Tenant } from '../support/test-app.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * The whole consent round trip in a real browser: a partner page (its own server, holding the API
 * key) mints the URL, Chromium consents on the emulator's page, the server's callback sends it back
 * to the partner's returnUrl; then an upstream revoke, a live health check and a reconnect through
 * the browser (reauth-url where the platform offers it, else oauth-url as the same person) bring
 * the same socialAccountId back to `connected`.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);
const STEP_TIMEOUT_MS = 10_000;

function artifact(name: string): string {
  return new URL(name, ARTIFACTS).pathname;
}

interface Partner {
  url: string;
  /** Every URL `/return` was hit with, exactly as the browser sent it. */
  returnHits: string[];
  /** The states this partner minted, newest last. */
  minted: Array<{ kind: 'connect' | 'reauth'; state: string }>;
  close(): Promise<void>;
}

/**
 * The partner's own web app: the API key stays on this server. Its buttons POST here; the server
 * mints the consent URL and sends the browser on with a 303. It remembers (as a real partner would,
 * in its session) the state it minted and the account the last completed flow bound.
 */
async function startPartner(apiUrl: string, secret: string, projectId: string, platform: PlatformId): Promise<Partner> {
  const returnHits: string[] = [];
  const minted: Partner['minted'] = [];
  let socialAccountId: string | null = null;
  let origin = '';

  const api = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${secret}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
    return json;
  };

  const html = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner app</title>
<style>body{font:16px system-ui,sans-serif;margin:40px} button{font:inherit;padding:8px 16px;margin-right:8px}</style>
</head><body>${body}</body></html>`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', origin).pathname;
    if (req.method === 'GET' && path === '/') {
      html(
        res,
        200,
        `<h1>Partner app</h1>
<form method="post" action="/connect"><button type="submit" id="connect">Connect ${platform}</button></form>
${socialAccountId ? `<form method="post" action="/reconnect"><button type="submit" id="reconnect">Reconnect ${platform}</button></form>` : ''}`,
      );
      return;
    }
    if (req.method === 'POST' && (path === '/connect' || path === '/reconnect')) {
      req.resume();
      const returnUrl = `${origin}/return`;
      const reauth = path === '/reconnect';
      if (reauth && !socialAccountId) return html(res, 409, '<p>Nothing to reconnect.</p>');
      // Where reauth-url is not offered, the same person consenting through oauth-url reconnects the same account.
      const result =
        reauth && REAUTH_ELIGIBLE.includes(platform)
          ? await api('POST', `/v1/projects/${projectId}/social/reauth-url`, { socialAccountId, returnUrl })
          : await api('POST', `/v1/projects/${projectId}/social/oauth-url`, { platform, returnUrl });
      minted.push({ kind: reauth ? 'reauth' : 'connect', state: String(result.state) });
      res.writeHead(303, { location: String(result.authorizeUrl), 'cache-control': 'no-store' });
      res.end();
      return;
    }
    if (req.method === 'GET' && path === '/return') {
      returnHits.push(new URL(req.url ?? '/', origin).href);
      const last = minted.at(-1);
      const status = last ? await api('GET', `/v1/social/oauth-status/${last.state}`) : null;
      if (status?.status === 'completed') {
        socialAccountId = String(status.socialAccountId);
        html(res, 200, `<h1 id="result">Connected</h1><p>${platform} account <code>${socialAccountId}</code> is ready.</p>`);
      } else {
        html(res, 200, `<h1 id="result">Not connected</h1><pre>${JSON.stringify(status)}</pre>`);
      }
      return;
    }
    res.writeHead(404).end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) html(res, 500, `<pre>${String(error)}</pre>`);
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    returnHits,
    minted,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * Where the browser should land: returnUrl exactly. A platform may append a fragment to its redirect
 * to the callback (Instagram's `#_`) and browsers carry a fragment across a redirect whose Location
 * has none, so the address bar (never the request the partner's server receives) keeps it, as with
 * the real platform.
 */
function expectedLanding(platform: PlatformId, returnUrl: string): string {
  return `${returnUrl}${PLATFORM_KITS[platform].landingSuffix}`;
}

/** On the emulator's consent page: log in as `username`, screenshot, press Authorize; waits for the partner's /return. */
async function consentInBrowser(page: Page, partner: Partner, username: string, screenshot: string | null): Promise<void> {
  await page.getByRole('button', { name: 'Authorize' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.locator('input[name="username"]').fill(username);
  if (screenshot) await page.screenshot({ path: artifact(screenshot), fullPage: true });
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(`${partner.url}/return`), { timeout: STEP_TIMEOUT_MS }),
    page.getByRole('button', { name: 'Authorize' }).click(),
  ]);
  await page.locator('#result').waitFor({ timeout: STEP_TIMEOUT_MS });
}

for (const engine of engines) {
  describe(`browser: connect and reauth (${engine})`, () => {
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

    for (const platform of PLATFORMS) {
      /** What oauth-status calls the reconnect: a reauth, or a connect that found the same person's account. */
      const reconnectKind = REAUTH_ELIGIBLE.includes(platform) ? 'reauth' : 'connect';
      test(`${platform}: consent in Chromium, revoke upstream, reconnect to the same id`, async () => {
        const project = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: `Browser ${platform}`, timezone: 'UTC' } });
        assert.equal(project.statusCode, 201, project.body);
        const projectId = project.json().id as string;
        // The partner also listens for this project's social-account events.
        const receiver = await startWebhookReceiver();
        const subscribed = await ctx.call({
          method: 'POST',
          url: '/v1/webhook-endpoints',
          key: tenant.secret,
          body: { url: receiver.url, projectId, events: ['social_account.connected', 'social_account.needs_reauth', 'social_account.revoked'] },
        });
        assert.equal(subscribed.statusCode, 201, subscribed.body);
        const partner = await startPartner(`http://127.0.0.1:${ctx.port}`, tenant.secret, projectId, platform);
        const browserContext = await browser.newContext({ viewport: { width: 900, height: 760 } });
        const page = await browserContext.newPage();
        const prefix = platform === 'tiktok' ? '' : `${platform}-`;
        const username = `browser_${platform}`;
        const returnUrl = `${partner.url}/return`;
        const callbacks: Array<{ status: number; location: string | undefined }> = [];
        page.on('response', (response) => {
          if (response.url().startsWith(`http://localhost:${ctx.port}/oauth/callback/${platform}?`)) {
            callbacks.push({ status: response.status(), location: response.headers()['location'] });
          }
        });
        try {
          // Connect.
          await page.goto(`${partner.url}/`);
          await Promise.all([page.waitForURL((url) => url.href.startsWith(ctx.emulatorUrl as string), { timeout: STEP_TIMEOUT_MS }), page.click('#connect')]);
          assert.ok(!page.url().includes(tenant.secret), 'the API key never reaches the browser');
          await consentInBrowser(page, partner, username, `${prefix}consent-page.png`);
          assert.deepEqual(callbacks, [{ status: 302, location: returnUrl }], 'the callback redirects to returnUrl exactly');
          assert.equal(page.url(), expectedLanding(platform, returnUrl), 'back on returnUrl with no added parameters');
          assert.deepEqual(partner.returnHits, [returnUrl]);
          assert.equal(await page.locator('#result').textContent(), 'Connected');
          await page.screenshot({ path: artifact(`${prefix}return-page.png`), fullPage: true });

          const connect = partner.minted[0];
          assert.equal(connect?.kind, 'connect');
          const status = (await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${connect.state}`, key: tenant.secret })).json();
          assert.equal(status.status, 'completed');
          assert.equal(status.kind, 'connect');
          const socialAccountId = status.socialAccountId as string;
          assert.match(socialAccountId, /^sa_[0-9a-f-]{36}$/);
          const list = (await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/social-accounts`, key: tenant.secret })).json();
          assert.equal(list.items.length, 1);
          assert.equal(list.items[0].socialAccountId, socialAccountId);
          assert.equal(list.items[0].status, 'connected');
          assert.equal(list.items[0].handle, username);
          const connectedAt = list.items[0].connectedAt as string;

          // Revoke upstream; a live health check notices.
          const revoke = await fetch(`${ctx.emulatorUrl}/_control/users/${platform}/${username}/revoke`, { method: 'POST' });
          assert.equal(revoke.status, 200, await revoke.text());
          const health = await ctx.call({ method: 'GET', url: `/v1/social-accounts/${socialAccountId}/health?check=live`, key: tenant.secret });
          assert.equal(health.statusCode, 200, health.body);
          assert.equal(health.json().status, 'reauth_required');
          assert.equal(health.json().needsReauth, true);

          // Reauth through the partner page and the browser.
          await page.goto(`${partner.url}/`);
          await Promise.all([page.waitForURL((url) => url.href.startsWith(ctx.emulatorUrl as string), { timeout: STEP_TIMEOUT_MS }), page.click('#reconnect')]);
          await consentInBrowser(page, partner, username, null);
          assert.deepEqual(callbacks[1], { status: 302, location: returnUrl }, 'the reauth callback redirects to returnUrl exactly');
          assert.equal(callbacks.length, 2);
          assert.equal(page.url(), expectedLanding(platform, returnUrl), 'back on returnUrl with no added parameters');
          assert.deepEqual(partner.returnHits, [returnUrl, returnUrl]);
          assert.equal(await page.locator('#result').textContent(), 'Connected');

          const reauth = partner.minted[1];
          assert.equal(reauth?.kind, 'reauth');
          const reauthStatus = (await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${reauth.state}`, key: tenant.secret })).json();
          assert.equal(reauthStatus.status, 'completed');
          assert.equal(reauthStatus.kind, reconnectKind);
          assert.equal(reauthStatus.socialAccountId, socialAccountId);
          const back = (await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/social-accounts`, key: tenant.secret })).json();
          assert.equal(back.items.length, 1, 'no second account');
          assert.equal(back.items[0].socialAccountId, socialAccountId);
          assert.equal(back.items[0].status, 'connected');
          assert.equal(back.items[0].reauthReason, null);
          assert.equal(back.items[0].connectedAt, connectedAt);
          const healthy = await ctx.call({ method: 'GET', url: `/v1/social-accounts/${socialAccountId}/health?check=live`, key: tenant.secret });
          assert.equal(healthy.json().status, 'connected');

          await ctx.deliveries.runOnce();
          assert.deepEqual(
            receiver.received.map((hook) => [hook.body.type, hook.body.data.operation ?? hook.body.data.reauthReason, hook.body.data.socialAccountId]),
            [
              ['social_account.connected', 'creation', socialAccountId],
              ['social_account.needs_reauth', 'token_revoked', socialAccountId],
              ['social_account.connected', 'reconnect', socialAccountId],
            ],
          );
        } catch (error) {
          await page.screenshot({ path: artifact(`failure-${engine}-${platform}.png`), fullPage: true }).catch(() => undefined);
          throw error;
        } finally {
          await browserContext.close();
          await partner.close();
          await receiver.close();
        }
      });
    }
  });
}
