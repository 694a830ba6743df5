import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PlatformAdapter } from '../../src/platforms/adapter.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { classifyTikTokFailReason, classifyTikTokFailure, isTikTokFailure } from '../../src/platforms/tiktok/errors.ts';
import type { TikTokCall } from '../../src/platforms/tiktok/errors.ts';
import { createPlatformAdapter } from '../../src/platforms/oauth-core.ts';
import { tiktok } from '../../src/platforms/tiktok/index.ts';
import { REDIRECT_URI, connectThrough, consentThrough, expectPlatformError, newCodeVerifier, startTestEmulator } from './emulator-harness.ts';
import type { TestEmulator } from './emulator-harness.ts';

const DAY_SECONDS = 24 * 3600;
const oauthError = (error: string) => ({ error, error_description: 'd', log_id: 'l' });
const apiError = (code: string) => ({ data: {}, error: { code, message: 'm', log_id: 'l' } });
const REFRESH: TikTokCall = { endpoint: 'refresh', refreshTokenExpired: false };

describe('classifyTikTokFailure', () => {
  const rows: Array<[string, number, unknown, TikTokCall, string, string, string | null]> = [
    ['5xx without a body', 502, undefined, REFRESH, 'transient', 'http_502', null],
    ['429', 429, oauthError('rate_limit_exceeded'), REFRESH, 'transient', 'rate_limit_exceeded', null],
    ['server_error', 500, oauthError('server_error'), { endpoint: 'code_exchange' }, 'transient', 'server_error', null],
    ['temporarily_unavailable on 200', 200, oauthError('temporarily_unavailable'), REFRESH, 'transient', 'temporarily_unavailable', null],
    ['rate_limit_exceeded on user info', 429, apiError('rate_limit_exceeded'), { endpoint: 'user_info' }, 'transient', 'rate_limit_exceeded', null],
    ['internal_error', 500, apiError('internal_error'), { endpoint: 'user_info' }, 'transient', 'internal_error', null],
    ['invalid_grant on refresh', 400, oauthError('invalid_grant'), REFRESH, 'needs_reauth', 'invalid_grant', 'token_revoked'],
    ['invalid_grant on refresh, 200', 200, oauthError('invalid_grant'), REFRESH, 'needs_reauth', 'invalid_grant', 'token_revoked'],
    [
      'invalid_grant with an expired refresh token',
      400,
      oauthError('invalid_grant'),
      { endpoint: 'refresh', refreshTokenExpired: true },
      'needs_reauth',
      'invalid_grant',
      'refresh_expired',
    ],
    ['access_token_invalid', 401, apiError('access_token_invalid'), { endpoint: 'user_info' }, 'needs_reauth', 'access_token_invalid', 'credential_invalid'],
    ['scope_not_authorized', 401, apiError('scope_not_authorized'), { endpoint: 'user_info' }, 'needs_reauth', 'scope_not_authorized', 'scopes_missing'],
    ['invalid_grant on a code exchange', 400, oauthError('invalid_grant'), { endpoint: 'code_exchange' }, 'other', 'invalid_grant', null],
    ['invalid_client', 400, oauthError('invalid_client'), REFRESH, 'other', 'invalid_client', null],
    ['invalid_params', 400, apiError('invalid_params'), { endpoint: 'user_info' }, 'other', 'invalid_params', null],
    ['a 400 without a body', 400, 'not json', { endpoint: 'revoke' }, 'other', 'http_400', null],
    ['spam_risk_too_many_posts at init', 403, apiError('spam_risk_too_many_posts'), { endpoint: 'user_info' }, 'posting_limit', 'spam_risk_too_many_posts', null],
    ['spam_risk_too_many_posts on creator info, 200', 200, apiError('spam_risk_too_many_posts'), { endpoint: 'user_info' }, 'posting_limit', 'spam_risk_too_many_posts', null],
    ['reached_active_user_cap', 403, apiError('reached_active_user_cap'), { endpoint: 'user_info' }, 'posting_limit', 'reached_active_user_cap', null],
    ['spam_risk_too_many_pending_share', 403, apiError('spam_risk_too_many_pending_share'), { endpoint: 'user_info' }, 'posting_limit', 'spam_risk_too_many_pending_share', null],
    ['privacy_level_option_mismatch', 403, apiError('privacy_level_option_mismatch'), { endpoint: 'user_info' }, 'rejected', 'privacy_level_option_mismatch', null],
    [
      'unaudited_client_can_only_post_to_private_accounts',
      403,
      apiError('unaudited_client_can_only_post_to_private_accounts'),
      { endpoint: 'user_info' },
      'rejected',
      'unaudited_client_can_only_post_to_private_accounts',
      null,
    ],
    ['spam_risk_user_banned_from_posting', 403, apiError('spam_risk_user_banned_from_posting'), { endpoint: 'user_info' }, 'other', 'spam_risk_user_banned_from_posting', null],
    ['url_ownership_unverified', 403, apiError('url_ownership_unverified'), { endpoint: 'user_info' }, 'other', 'url_ownership_unverified', null],
    ['invalid_publish_id', 400, apiError('invalid_publish_id'), { endpoint: 'user_info' }, 'other', 'invalid_publish_id', null],
  ];
  for (const [name, status, body, call, kind, platformCode, reauthReason] of rows) {
    it(`${name} → ${kind}${reauthReason ? ` ${reauthReason}` : ''}`, () => {
      assert.equal(isTikTokFailure(status, body), true);
      const verdict = classifyTikTokFailure(status, body, call);
      assert.deepEqual([verdict.kind, verdict.platformCode, verdict.reauthReason], [kind, platformCode, reauthReason]);
    });
  }

  it('treats 2xx without an error, or with the v2 envelope saying ok, as success', () => {
    assert.equal(isTikTokFailure(200, { access_token: 'a' }), false);
    assert.equal(isTikTokFailure(200, { data: {}, error: { code: 'ok', message: '' } }), false);
    assert.equal(isTikTokFailure(200, {}), false);
  });
});

describe('classifyTikTokFailReason (a FAILED post status)', () => {
  const rows: Array<[string, string, string | null]> = [
    ['file_format_check_failed', 'rejected', null],
    ['duration_check_failed', 'rejected', null],
    ['frame_rate_check_failed', 'rejected', null],
    ['picture_size_check_failed', 'rejected', null],
    ['spam_risk_text', 'rejected', null],
    ['internal', 'transient', null],
    ['video_pull_failed', 'transient', null],
    ['photo_pull_failed', 'transient', null],
    ['spam_risk_too_many_posts', 'posting_limit', null],
    ['auth_removed', 'needs_reauth', 'token_revoked'],
    ['spam_risk_user_banned_from_posting', 'other', null],
    ['publish_cancelled', 'other', null],
    ['a_reason_tiktok_adds_later', 'other', null],
  ];
  for (const [reason, kind, reauthReason] of rows) {
    it(`${reason} → ${kind}`, () => {
      const verdict = classifyTikTokFailReason(reason);
      assert.deepEqual([verdict.kind, verdict.platformCode, verdict.reauthReason], [kind, reason, reauthReason]);
    });
  }
});

describe('TikTok adapter failures against the emulator', () => {
  let emulator: TestEmulator;
  let adapter: PlatformAdapter;
  before(async () => {
    emulator = await startTestEmulator({ tiktok: { refreshTokenTtlSeconds: 30 * DAY_SECONDS } });
    adapter = createPlatformAdapter(tiktok, { endpoints: emulator.tiktokEndpoints, clock: emulator.clock });
  });
  after(() => emulator.close());

  const connect = (username: string) => connectThrough(emulator, adapter, username);

  it('transient: server_error / temporarily_unavailable on the token endpoint, 429 / internal_error on user info', async () => {
    const tokens = await connect('tt_transient');
    await emulator.injectFault({ platform: 'tiktok', endpoint: 'refresh', status: 500 });
    await expectPlatformError(adapter.refresh(tokens), { kind: 'transient', platformCode: 'server_error' });
    await emulator.injectFault({ platform: 'tiktok', endpoint: 'refresh', status: 503 });
    await expectPlatformError(adapter.refresh(tokens), { kind: 'transient', platformCode: 'temporarily_unavailable' });
    await emulator.injectFault({ platform: 'tiktok', endpoint: 'userinfo', status: 429 });
    await expectPlatformError(adapter.fetchProfile(tokens), { kind: 'transient', platformCode: 'rate_limit_exceeded' });
    await emulator.injectFault({ platform: 'tiktok', endpoint: 'userinfo', status: 500 });
    await expectPlatformError(adapter.fetchProfile(tokens), { kind: 'transient', platformCode: 'internal_error' });
    // None of those touched the credential: it still refreshes.
    await adapter.refresh(tokens);
  });

  it('transient: a server error while redeeming the code', async () => {
    await emulator.injectFault({ platform: 'tiktok', endpoint: 'token', status: 500 });
    await expectPlatformError(connect('tt_exchange_500'), { kind: 'transient', platformCode: 'server_error' });
  });

  it('needs_reauth: an error body on HTTP 200 is still a failure', async () => {
    const tokens = await connect('tt_200_error');
    await emulator.injectFault({ platform: 'tiktok', endpoint: 'refresh', status: 200, body: oauthError('invalid_grant') });
    await expectPlatformError(adapter.refresh(tokens), { kind: 'needs_reauth', reauthReason: 'token_revoked' });
    await emulator.injectFault({ platform: 'tiktok', endpoint: 'userinfo', status: 200, body: apiError('access_token_invalid') });
    await expectPlatformError(adapter.fetchProfile(tokens), { kind: 'needs_reauth', reauthReason: 'credential_invalid' });
  });

  it('needs_reauth token_revoked: the user revoked the app', async () => {
    const tokens = await connect('tt_revoked');
    await emulator.revokeUser('tiktok', 'tt_revoked');
    await expectPlatformError(adapter.refresh(tokens), { kind: 'needs_reauth', platformCode: 'invalid_grant', reauthReason: 'token_revoked' });
  });

  it('needs_reauth refresh_expired: the refresh token outlived its refresh_expires_in', async () => {
    const tokens = await connect('tt_refresh_expired');
    emulator.clock.advance((30 * DAY_SECONDS + 1) * 1000);
    await expectPlatformError(adapter.refresh(tokens), { kind: 'needs_reauth', platformCode: 'invalid_grant', reauthReason: 'refresh_expired' });
  });

  it('needs_reauth credential_invalid: access_token_invalid on an expired access token', async () => {
    const tokens = await connect('tt_expired_access');
    await emulator.expireAccessTokens('tiktok', 'tt_expired_access');
    await expectPlatformError(adapter.fetchProfile(tokens), {
      kind: 'needs_reauth',
      platformCode: 'access_token_invalid',
      reauthReason: 'credential_invalid',
    });
  });

  it('needs_reauth scopes_missing: scope_not_authorized when the grant lacks user.info.profile', async () => {
    const tokens = await connect('tt_scopes');
    const codeVerifier = newCodeVerifier();
    const url = adapter.authorizeUrl({ state: 's', redirectUri: REDIRECT_URI, scopes: ['user.info.basic'], codeVerifier });
    const code = (await emulator.consent(url, { username: 'tt_scopes' })).searchParams.get('code') ?? '';
    const basicOnly = await adapter.exchangeCode({ code, redirectUri: REDIRECT_URI, codeVerifier, callbackScopes: null });
    // Tokens that claim a scope the grant does not have make the adapter ask for `username`.
    const claimingProfile = { ...basicOnly, grantedScopes: tokens.grantedScopes };
    await expectPlatformError(adapter.fetchProfile(claimingProfile), {
      kind: 'needs_reauth',
      platformCode: 'scope_not_authorized',
      reauthReason: 'scopes_missing',
    });
  });

  it('other: a reused code, a wrong verifier, a wrong client secret', async () => {
    const { code, codeVerifier } = await consentThrough(emulator, adapter, 'tt_other');
    const exchange = { code, redirectUri: REDIRECT_URI, codeVerifier, callbackScopes: null };
    await expectPlatformError(adapter.exchangeCode({ ...exchange, codeVerifier: newCodeVerifier() }), {
      kind: 'other',
      platformCode: 'invalid_grant',
    });
    await adapter.exchangeCode(exchange);
    await expectPlatformError(adapter.exchangeCode(exchange), { kind: 'other', platformCode: 'invalid_grant' });

    const wrongSecret = 'wrong-secret-value';
    const misconfigured = createPlatformAdapter(tiktok, {
      endpoints: { ...emulator.tiktokEndpoints, clientSecret: wrongSecret },
      clock: emulator.clock,
    });
    const tokens = await connect('tt_other');
    const error = await expectPlatformError(misconfigured.refresh(tokens), { kind: 'other', platformCode: 'invalid_client' });
    assert.equal(error.httpStatus, 400);
  });

  it('other: a 200 answer that is not a token response', async () => {
    const tokens = await connect('tt_garbage');
    await emulator.injectFault({ platform: 'tiktok', endpoint: 'refresh', status: 200, body: { hello: 'world' } });
    await expectPlatformError(adapter.refresh(tokens), { kind: 'other', platformCode: 'invalid_response' });
  });

  it('never puts a token or the client secret in the message, even when TikTok echoes them', async () => {
    const tokens = await connect('tt_echo');
    const echo = `refresh ${tokens.refreshToken} access ${tokens.accessToken} secret ${emulator.tiktokEndpoints.clientSecret}`;
    await emulator.injectFault({ platform: 'tiktok', endpoint: 'refresh', status: 400, body: { error: 'invalid_request', error_description: echo } });
    const error = await expectPlatformError(adapter.refresh(tokens), { kind: 'other', platformCode: 'invalid_request' });
    for (const secret of [tokens.refreshToken ?? '', tokens.accessToken, emulator.tiktokEndpoints.clientSecret]) {
      assert.ok(!error.message.includes(secret), error.message);
    }
    // The platform's text is not quoted at all: the classified code and the server's own words.
    assert.equal(error.message, 'TikTok token refresh failed (HTTP 400): invalid_request');
  });
});
