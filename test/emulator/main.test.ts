import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from '../../src/emulator/main.ts';
import type { RunningEmulator } from '../../src/emulator/main.ts';
import { REDIRECT_URI, parseConsentForm } from './consent-driver.ts';

describe('startEmulator', () => {
  let emulator: RunningEmulator;

  before(async () => {
    emulator = await startEmulator({ port: 0 });
  });

  after(async () => {
    await emulator.close();
  });

  it('listens on a real port and reports it in url', () => {
    const url = new URL(emulator.url);
    assert.equal(url.hostname, '127.0.0.1');
    assert.ok(Number(url.port) > 0);
  });

  it('runs a whole TikTok login over HTTP, with avatar URLs on its own origin', async () => {
    const query = new URLSearchParams({
      client_key: 'emulator-tiktok-key',
      response_type: 'code',
      scope: 'user.info.basic',
      redirect_uri: REDIRECT_URI,
      state: 'over-http',
    });
    const page = await fetch(`${emulator.url}/tiktok/www/v2/auth/authorize?${query}`);
    assert.equal(page.status, 200);
    const form = parseConsentForm(await page.text());
    const submission = new URLSearchParams(form.controls.map((control): [string, string] => [control.name, control.value]));
    submission.append('decision', 'approve');

    const consent = await fetch(`${emulator.url}${form.action}`, { method: 'POST', body: submission, redirect: 'manual' });
    assert.equal(consent.status, 302);
    const callback = new URL(consent.headers.get('location') ?? '');
    assert.equal(callback.searchParams.get('state'), 'over-http');

    const token = await fetch(`${emulator.url}/tiktok/open/v2/oauth/token/`, {
      method: 'POST',
      headers: { 'cache-control': 'no-cache' },
      body: new URLSearchParams({
        client_key: 'emulator-tiktok-key',
        client_secret: 'emulator-tiktok-secret',
        grant_type: 'authorization_code',
        redirect_uri: REDIRECT_URI,
        code: callback.searchParams.get('code') ?? '',
      }),
    });
    assert.equal(token.status, 200);
    const { access_token: accessToken } = (await token.json()) as { access_token: string };

    const info = await fetch(`${emulator.url}/tiktok/open/v2/user/info/?fields=avatar_url`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    const { data } = (await info.json()) as { data: { user: { avatar_url: string } } };
    assert.ok(data.user.avatar_url.startsWith(`${emulator.url}/avatars/tiktok/`));
    const avatar = await fetch(data.user.avatar_url);
    assert.equal(avatar.headers.get('content-type'), 'image/png');
  });
});
