import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page, type Route } from 'playwright-core';
import { signatureHeader } from '../../src/webhooks/signature.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';

/**
 * In a real browser (Chromium): the compiled TypeScript SDK calls the API from a page (fetch,
 * WebCrypto, crypto.randomUUID), and the reference page at /docs shows each route's curl,
 * TypeScript and Python samples side by side. The page and the API share one origin, served by
 * routing the browser's requests into the app.
 */

const REPO = path.resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ORIGIN = 'https://partner.test';
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SDK in a browser</title></head><body>
<script type="module">
import { Layers, LayersError, verifyWebhookSignature } from '/sdk/index.js';
const input = JSON.parse(new URLSearchParams(location.search).get('input'));
const layers = new Layers({ apiKey: input.apiKey, baseUrl: location.origin });
try {
  const me = await layers.whoami();
  const created = await layers.projects.create({ name: 'Browser app', timezone: 'Europe/Berlin' });
  const names = [];
  for await (const project of layers.projects.list({ search: 'browser', limit: 1 })) names.push(project.name);
  let error = null;
  try { await layers.social.listAccounts({ projectId: 'prj_00000000-0000-4000-8000-000000000000' }); }
  catch (e) { error = e instanceof LayersError ? { status: e.status, code: e.code, requestId: e.requestId } : String(e); }
  const verified = await verifyWebhookSignature(input.body, input.header, input.secret);
  const tampered = await verifyWebhookSignature(input.body + ' ', input.header, input.secret);
  window.result = { organizationId: me.organizationId, createdId: created.id, names, error, verified, tampered };
} catch (e) {
  window.result = { failure: String(e && e.stack || e) };
}
</script></body></html>`;

function buildSdk(outDir: string): Promise<void> {
  const tsc = path.join(REPO, 'sdk/typescript/node_modules/typescript/bin/tsc');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [tsc, '-p', path.join(REPO, 'sdk/typescript/tsconfig.build.json'), '--outDir', outDir], (error, stdout, stderr) =>
      error ? reject(new Error(`tsc failed: ${stdout}${stderr}`)) : resolve(),
    );
  });
}

describe('the SDK and the reference in a browser', { timeout: 300_000 }, () => {
  let ctx: TestContext;
  let tenant: Tenant;
  let browser: Browser;
  let page: Page;
  let distDir: string;
  const apiRequests: Array<{ method: string; path: string; idempotencyKey: string | undefined }> = [];

  /** The browser's requests to ORIGIN: the page, the compiled SDK, and everything else into the app. */
  async function serve(route: Route): Promise<void> {
    const request = route.request();
    const url = new URL(request.url());
    if (url.pathname === '/') return route.fulfill({ status: 200, contentType: 'text/html', body: PAGE });
    if (url.pathname.startsWith('/sdk/')) {
      const file = path.join(distDir, url.pathname.slice('/sdk/'.length));
      if (!file.startsWith(distDir)) return route.fulfill({ status: 404, body: '' });
      return route.fulfill({ status: 200, contentType: 'text/javascript', body: readFileSync(file, 'utf8') });
    }
    const headers = await request.allHeaders();
    if (url.pathname.startsWith('/v1/')) apiRequests.push({ method: request.method(), path: url.pathname, idempotencyKey: headers['idempotency-key'] });
    const res = await ctx.app.inject({
      method: request.method() as 'GET',
      url: `${url.pathname}${url.search}`,
      headers,
      ...(request.postData() ? { payload: request.postData() as string } : {}),
    });
    return route.fulfill({ status: res.statusCode, headers: res.headers as Record<string, string>, body: res.rawPayload });
  }

  before(async () => {
    distDir = mkdtempSync(path.join(tmpdir(), 'layers-sdk-dist-'));
    await buildSdk(distDir);
    ctx = await createTestContext('sqlite', { publicBaseUrl: ORIGIN });
    tenant = await ctx.tenant();
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    await page.route(`${ORIGIN}/**`, serve);
  });
  after(async () => {
    await browser?.close();
    await ctx?.close();
    if (distDir) rmSync(distDir, { recursive: true, force: true });
  });

  test('the compiled SDK works in the page: calls, pagination, Idempotency-Key, LayersError, WebCrypto verification', async () => {
    const body = JSON.stringify({ id: 'evt_1', type: 'test.ping', data: {} });
    const secret = 'whsec_browser';
    const input = { apiKey: tenant.secret, body, secret, header: signatureHeader([secret], Math.floor(Date.now() / 1000), body) };
    await page.goto(`${ORIGIN}/?input=${encodeURIComponent(JSON.stringify(input))}`);
    // Evaluated in the page, where `globalThis` is its window.
    await page.waitForFunction(() => (globalThis as { result?: unknown }).result !== undefined, undefined, { timeout: 30_000 });
    const result = (await page.evaluate(() => (globalThis as { result?: unknown }).result)) as Record<string, any>;
    assert.equal(result['failure'], undefined, result['failure']);
    assert.equal(result['organizationId'], tenant.organizationId);
    assert.match(result['createdId'], /^prj_/);
    assert.deepEqual(result['names'], ['Browser app']);
    assert.equal(result['error'].status, 404);
    assert.equal(result['error'].code, 'NOT_FOUND');
    assert.match(result['error'].requestId, /^req_/);
    assert.equal(result['verified'], true);
    assert.equal(result['tampered'], false);
    const create = apiRequests.find((r) => r.method === 'POST' && r.path === '/v1/projects');
    assert.match(create?.idempotencyKey ?? '', /^[0-9a-f-]{36}$/, 'crypto.randomUUID in the browser');
  });

  test('/docs shows curl, TypeScript and Python side by side for an operation', async () => {
    await page.goto(`${ORIGIN}/docs#/Social%20accounts/createReauthUrl`);
    const samples = page.locator('#operations-Social_accounts-createReauthUrl .opblock-description table');
    await samples.waitFor({ timeout: 60_000 });
    const headings = await samples.locator('th').allInnerTexts();
    assert.deepEqual(headings.map((h) => h.trim()), ['curl', 'TypeScript', 'Python']);
    const cells = await samples.locator('td').allInnerTexts();
    assert.match(cells[0] ?? '', /^curl https:\/\/partner\.test\/v1\/projects\/prj_[^/]+\/social\/reauth-url/);
    assert.match(cells[1] ?? '', /await layers\.social\.createReauthUrl\(\{/);
    assert.match(cells[2] ?? '', /layers\.social\.create_reauth_url\(/);
    const boxes = await Promise.all([0, 1, 2].map((i) => samples.locator('td').nth(i).boundingBox()));
    const [a, b, c] = boxes.map((box) => box?.x ?? NaN) as [number, number, number];
    assert.ok(a < b && b < c, `side by side: x = ${a}, ${b}, ${c}`);
    await samples.screenshot({ path: new URL('docs-code-samples.png', ARTIFACTS).pathname });
  });
});
