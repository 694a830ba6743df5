import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildEmulator } from '../../src/emulator/app.ts';
import type { EmulatorOptions } from '../../src/emulator/app.ts';
import {
  connectTikTok,
  formPost,
  submitConsent,
  tiktokAuthorizeUrl,
  tiktokCodeExchange,
  tiktokRefresh,
} from './consent-driver.ts';
import type { TikTokTokenResponse } from './consent-driver.ts';

const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-verifier';
const BASE64URL_CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
const HEX_CHALLENGE = createHash('sha256').update(VERIFIER).digest('hex');

interface TikTokError {
  error: string;
  error_description: string;
  log_id: string;
}

function emulatorWithClock(options: EmulatorOptions = {}) {
  const clock = { now: Date.parse('2026-03-01T12:00:00Z') };
  const app = buildEmulator({ ...options, now: () => clock.now });
  return { app, clock };
}

async function authorizeCode(app: ReturnType<typeof buildEmulator>, params: Record<string, string> = {}): Promise<string> {
  const callback = await submitConsent(app, tiktokAuthorizeUrl(params));
  return callback.searchParams.get('code') ?? '';
}

describe('TikTok token endpoint: authorization_code', () => {
  it('exchanges a code for a flat token response', async () => {
    const { app } = emulatorWithClock();
    const response = await app.inject(tiktokCodeExchange(await authorizeCode(app)));

    assert.equal(response.statusCode, 200);
    const body = response.json<TikTokTokenResponse>();
    assert.deepEqual(Object.keys(body), [
      'access_token',
      'expires_in',
      'open_id',
      'refresh_expires_in',
      'refresh_token',
      'scope',
      'token_type',
    ]);
    assert.match(body.access_token, /^act\./);
    assert.match(body.refresh_token, /^rft\./);
    assert.equal(body.expires_in, 7200);
    assert.equal(body.refresh_expires_in, 15_552_000);
    assert.equal(body.scope, 'user.info.basic,user.info.profile');
    assert.equal(body.token_type, 'Bearer');
    assert.match(body.open_id, /^[0-9a-f-]{36}$/);
  });

  it('uses the configured lifetimes', async () => {
    const { app } = emulatorWithClock({ tiktok: { accessTokenTtlSeconds: 86_400, refreshTokenTtlSeconds: 31_536_000 } });
    const body = (await app.inject(tiktokCodeExchange(await authorizeCode(app)))).json<TikTokTokenResponse>();

    assert.deepEqual([body.expires_in, body.refresh_expires_in], [86_400, 31_536_000]);
  });

  it('accepts a code only once', async () => {
    const { app } = emulatorWithClock();
    const code = await authorizeCode(app);
    await app.inject(tiktokCodeExchange(code));
    const second = await app.inject(tiktokCodeExchange(code));

    assert.equal(second.statusCode, 400);
    const body = second.json<TikTokError>();
    assert.equal(body.error, 'invalid_grant');
    assert.ok(body.error_description.length > 0);
    assert.match(body.log_id, /^\d{14}[0-9A-F]{20}$/);
  });

  it('rejects a code older than 10 minutes', async () => {
    const { app, clock } = emulatorWithClock();
    const code = await authorizeCode(app);
    clock.now += 10 * 60 * 1000;

    const response = await app.inject(tiktokCodeExchange(code));
    assert.equal(response.statusCode, 400);
    assert.deepEqual(
      [response.json<TikTokError>().error, response.json<TikTokError>().error_description],
      ['invalid_grant', 'Authorization code is expired.'],
    );
  });

  it('rejects a redirect_uri different from the one used at authorize', async () => {
    const { app } = emulatorWithClock();
    const response = await app.inject(
      tiktokCodeExchange(await authorizeCode(app), { redirect_uri: 'https://app.example.com/other' }),
    );

    assert.equal(response.statusCode, 400);
    assert.equal(response.json<TikTokError>().error, 'invalid_grant');
  });

  it('rejects wrong client credentials and unsupported grant types', async () => {
    const { app } = emulatorWithClock();
    const code = await authorizeCode(app);

    const wrongSecret = await app.inject(tiktokCodeExchange(code, { client_secret: 'nope' }));
    assert.equal(wrongSecret.statusCode, 400);
    assert.equal(wrongSecret.json<TikTokError>().error, 'invalid_client');

    const password = await app.inject(tiktokCodeExchange(code, { grant_type: 'password' }));
    assert.equal(password.statusCode, 400);
    assert.equal(password.json<TikTokError>().error, 'unsupported_grant_type');

    // The failed attempts did not spend the code.
    assert.equal((await app.inject(tiktokCodeExchange(code))).statusCode, 200);
  });

  it('also answers without the trailing slash', async () => {
    const { app } = emulatorWithClock();
    const request = tiktokCodeExchange(await authorizeCode(app));
    const response = await app.inject({ ...request, url: '/tiktok/open/v2/oauth/token' });

    assert.equal(response.statusCode, 200);
  });
});

describe('TikTok PKCE', () => {
  it('web mode accepts a base64url S256 challenge with its verifier', async () => {
    const { app } = emulatorWithClock();
    const code = await authorizeCode(app, { code_challenge: BASE64URL_CHALLENGE, code_challenge_method: 'S256' });
    const response = await app.inject(tiktokCodeExchange(code, { code_verifier: VERIFIER }));

    assert.equal(response.statusCode, 200);
  });

  it('web mode accepts a hex challenge, and no verifier at all', async () => {
    const { app } = emulatorWithClock();
    const hexCode = await authorizeCode(app, { code_challenge: HEX_CHALLENGE, code_challenge_method: 'S256' });
    assert.equal((await app.inject(tiktokCodeExchange(hexCode, { code_verifier: VERIFIER }))).statusCode, 200);

    const withoutVerifier = await authorizeCode(app, { code_challenge: BASE64URL_CHALLENGE, code_challenge_method: 'S256' });
    assert.equal((await app.inject(tiktokCodeExchange(withoutVerifier))).statusCode, 200);
  });

  it('web mode rejects a verifier that does not match the challenge', async () => {
    const { app } = emulatorWithClock();
    const code = await authorizeCode(app, { code_challenge: BASE64URL_CHALLENGE, code_challenge_method: 'S256' });
    const response = await app.inject(tiktokCodeExchange(code, { code_verifier: `${VERIFIER}-wrong` }));

    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json<TikTokError>().error, 'invalid_grant');
    assert.equal(response.json<TikTokError>().error_description, 'Code verifier or code challenge is invalid.');
  });

  it('desktop mode requires a code_challenge at authorize', async () => {
    const { app } = emulatorWithClock({ tiktok: { pkceMode: 'desktop' } });
    const response = await app.inject({ method: 'GET', url: tiktokAuthorizeUrl() });

    assert.equal(response.statusCode, 400);
    assert.match(response.body, /code_challenge/);
  });

  it('desktop mode accepts the hex challenge and rejects the RFC 7636 base64url one', async () => {
    const { app } = emulatorWithClock({ tiktok: { pkceMode: 'desktop' } });
    const hexCode = await authorizeCode(app, { code_challenge: HEX_CHALLENGE, code_challenge_method: 'S256' });
    assert.equal((await app.inject(tiktokCodeExchange(hexCode, { code_verifier: VERIFIER }))).statusCode, 200);

    const base64Code = await authorizeCode(app, { code_challenge: BASE64URL_CHALLENGE, code_challenge_method: 'S256' });
    const rejected = await app.inject(tiktokCodeExchange(base64Code, { code_verifier: VERIFIER }));
    assert.equal(rejected.statusCode, 400);
    assert.equal(rejected.json<TikTokError>().error, 'invalid_grant');
  });

  it('desktop mode requires the verifier at the token endpoint', async () => {
    const { app } = emulatorWithClock({ tiktok: { pkceMode: 'desktop' } });
    const code = await authorizeCode(app, { code_challenge: HEX_CHALLENGE, code_challenge_method: 'S256' });
    const response = await app.inject(tiktokCodeExchange(code));

    assert.equal(response.statusCode, 400);
    assert.equal(response.json<TikTokError>().error, 'invalid_request');
  });
});

describe('TikTok refresh and revoke', () => {
  it('rotates refresh tokens: the old one stops working, the new one works', async () => {
    const { app } = emulatorWithClock();
    const first = await connectTikTok(app);

    const refreshed = await app.inject(tiktokRefresh(first.refresh_token));
    assert.equal(refreshed.statusCode, 200);
    const second = refreshed.json<TikTokTokenResponse>();
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.notEqual(second.access_token, first.access_token);
    assert.match(second.refresh_token, /^rft\./);
    assert.equal(second.open_id, first.open_id);
    assert.equal(second.scope, first.scope);

    const stale = await app.inject(tiktokRefresh(first.refresh_token));
    assert.equal(stale.statusCode, 400);
    assert.equal(stale.json<TikTokError>().error, 'invalid_grant');

    assert.equal((await app.inject(tiktokRefresh(second.refresh_token))).statusCode, 200);
  });

  it('refuses a refresh token past its lifetime', async () => {
    const { app, clock } = emulatorWithClock();
    const tokens = await connectTikTok(app);
    clock.now += 15_552_000 * 1000;

    const response = await app.inject(tiktokRefresh(tokens.refresh_token));
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<TikTokError>().error, 'invalid_grant');
  });

  it('revoke kills the access and refresh tokens of the grant', async () => {
    const { app } = emulatorWithClock();
    const tokens = await connectTikTok(app);

    const revoke = await app.inject(
      formPost('/tiktok/open/v2/oauth/revoke/', {
        client_key: 'emulator-tiktok-key',
        client_secret: 'emulator-tiktok-secret',
        token: tokens.access_token,
      }),
    );
    assert.equal(revoke.statusCode, 200);
    assert.deepEqual(revoke.json(), {});

    const userInfo = await app.inject({
      method: 'GET',
      url: '/tiktok/open/v2/user/info/?fields=open_id',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(userInfo.statusCode, 401);
    const refresh = await app.inject(tiktokRefresh(tokens.refresh_token));
    assert.equal(refresh.json<TikTokError>().error, 'invalid_grant');
  });

  it('revoke checks the client credentials', async () => {
    const { app } = emulatorWithClock();
    const tokens = await connectTikTok(app);
    const revoke = await app.inject(
      formPost('/tiktok/open/v2/oauth/revoke/', { client_key: 'emulator-tiktok-key', client_secret: 'x', token: tokens.access_token }),
    );

    assert.equal(revoke.statusCode, 400);
    assert.equal(revoke.json<TikTokError>().error, 'invalid_client');
  });
});
