import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PlatformAdapter } from '../../src/platforms/adapter.ts';
import { createPlatformAdapter } from '../../src/platforms/oauth-core.ts';
import { classifyYouTubeFailure } from '../../src/platforms/youtube/errors.ts';
import { youtube } from '../../src/platforms/youtube/index.ts';
import { REDIRECT_URI, connectThrough, consentThrough, expectPlatformError, newCodeVerifier, startTestEmulator } from './emulator-harness.ts';
import type { TestEmulator } from './emulator-harness.ts';

const oauthError = (error: string) => ({ error, error_description: 'd' });
const apiError = (code: number, reason: string, status = 'X') => ({ error: { code, message: 'm', errors: [{ reason, domain: 'global', message: 'm' }], status } });
const REFRESH = { operation: 'token refresh', refreshTokenExpired: false };
const EXCHANGE = { operation: 'code exchange' };
const PROFILE = { operation: 'profile' };
const REVOKE = { operation: 'revoke' };

describe('classifyYouTubeFailure', () => {
  type Call = { operation: string; refreshTokenExpired?: boolean };
  const rows: Array<[string, number, unknown, Call, string, string, string | null]> = [
    ['5xx without a body', 502, undefined, REFRESH, 'transient', 'http_502', null],
    ['server_error', 500, oauthError('server_error'), EXCHANGE, 'transient', 'server_error', null],
    ['temporarily_unavailable', 503, oauthError('temporarily_unavailable'), REFRESH, 'transient', 'temporarily_unavailable', null],
    ['temporarily_unavailable on a 400', 400, oauthError('temporarily_unavailable'), REFRESH, 'transient', 'temporarily_unavailable', null],
    ['429 on the token endpoint', 429, oauthError('rate_limit_exceeded'), REFRESH, 'transient', 'rate_limit_exceeded', null],
    ['backendError', 500, apiError(500, 'backendError'), PROFILE, 'transient', 'backendError', null],
    ['quotaExceeded', 403, apiError(403, 'quotaExceeded'), PROFILE, 'transient', 'quotaExceeded', null],
    ['rateLimitExceeded', 403, apiError(403, 'rateLimitExceeded'), PROFILE, 'transient', 'rateLimitExceeded', null],
    ['invalid_grant on refresh', 400, oauthError('invalid_grant'), REFRESH, 'needs_reauth', 'invalid_grant', 'token_revoked'],
    ['invalid_grant with an expired refresh token', 400, oauthError('invalid_grant'), { ...REFRESH, refreshTokenExpired: true }, 'needs_reauth', 'invalid_grant', 'refresh_expired'],
    ['authError', 401, apiError(401, 'authError', 'UNAUTHENTICATED'), PROFILE, 'needs_reauth', 'authError', 'credential_invalid'],
    ['a 401 without a reason', 401, { error: { code: 401, message: 'm', status: 'UNAUTHENTICATED' } }, PROFILE, 'needs_reauth', 'UNAUTHENTICATED', 'credential_invalid'],
    ['insufficientPermissions', 403, apiError(403, 'insufficientPermissions'), PROFILE, 'needs_reauth', 'insufficientPermissions', 'scopes_missing'],
    ['invalid_grant on a code exchange', 400, oauthError('invalid_grant'), EXCHANGE, 'other', 'invalid_grant', null],
    ['invalid_client', 401, oauthError('invalid_client'), REFRESH, 'other', 'invalid_client', null],
    ['redirect_uri_mismatch', 400, oauthError('redirect_uri_mismatch'), EXCHANGE, 'other', 'redirect_uri_mismatch', null],
    ['a forbidden call', 403, apiError(403, 'forbidden'), PROFILE, 'other', 'forbidden', null],
    ['a revoke refused for another reason', 400, oauthError('invalid_request'), REVOKE, 'other', 'invalid_request', null],
    ['a 400 without a body', 400, 'not json', PROFILE, 'other', 'http_400', null],
  ];
  for (const [name, status, body, call, kind, platformCode, reauthReason] of rows) {
    it(`${name} → ${kind}${reauthReason ? ` ${reauthReason}` : ''}`, () => {
      const verdict = classifyYouTubeFailure(status, body, call);
      assert.ok(verdict !== null);
      assert.deepEqual([verdict.kind, verdict.platformCode, verdict.reauthReason], [kind, platformCode, reauthReason]);
    });
  }

  it('treats 2xx as success, and a revoke of a token already dead (400 invalid_token) as done', () => {
    assert.equal(classifyYouTubeFailure(200, { access_token: 'a' }, REFRESH), null);
    assert.equal(classifyYouTubeFailure(200, undefined, REVOKE), null);
    assert.equal(classifyYouTubeFailure(400, oauthError('invalid_token'), REVOKE), null);
    // Only on a revoke.
    assert.equal(classifyYouTubeFailure(400, oauthError('invalid_token'), REFRESH)?.kind, 'other');
  });
});

describe('YouTube adapter failures against the emulator', () => {
  let emulator: TestEmulator;
  let adapter: PlatformAdapter;
  before(async () => {
    emulator = await startTestEmulator();
    adapter = createPlatformAdapter(youtube, { endpoints: emulator.endpoints('youtube'), clock: emulator.clock });
  });
  after(() => emulator.close());

  const connect = (username: string) => connectThrough(emulator, adapter, username);

  it('transient: 5xx and temporarily_unavailable on the token endpoint, quota and backend errors on the channel', async () => {
    const tokens = await connect('yt_transient');
    await emulator.injectFault({ platform: 'youtube', endpoint: 'refresh', status: 500 });
    await expectPlatformError(adapter.refresh(tokens), { kind: 'transient', platformCode: 'server_error' });
    await emulator.injectFault({ platform: 'youtube', endpoint: 'refresh', status: 503 });
    await expectPlatformError(adapter.refresh(tokens), { kind: 'transient', platformCode: 'temporarily_unavailable' });
    await emulator.injectFault({ platform: 'youtube', endpoint: 'channels', status: 403 });
    await expectPlatformError(adapter.fetchProfile(tokens), { kind: 'transient', platformCode: 'quotaExceeded' });
    await emulator.injectFault({ platform: 'youtube', endpoint: 'channels', status: 503 });
    await expectPlatformError(adapter.fetchProfile(tokens), { kind: 'transient', platformCode: 'backendError' });
    await emulator.injectFault({ platform: 'youtube', endpoint: 'token', status: 500 });
    await expectPlatformError(connect('yt_transient_exchange'), { kind: 'transient', platformCode: 'server_error' });
    // None of those touched the credential: it still refreshes.
    await adapter.refresh(tokens);
  });

  it('needs_reauth token_revoked: the person removed the app’s access in their Google account', async () => {
    const tokens = await connect('yt_revoked');
    await emulator.revokeUser('youtube', 'yt_revoked');
    const error = await expectPlatformError(adapter.refresh(tokens), { kind: 'needs_reauth', platformCode: 'invalid_grant', reauthReason: 'token_revoked' });
    assert.equal(error.httpStatus, 400);
    // The message is the server's own words: the platform's text is never kept (docs/security.md).
    assert.equal(error.message, 'YouTube token refresh failed (HTTP 400): invalid_grant');
  });

  it('other: a reused code, a wrong verifier, a wrong client secret, a revoke refused', async () => {
    const { code, codeVerifier } = await consentThrough(emulator, adapter, 'yt_other');
    const exchange = { code, redirectUri: REDIRECT_URI, codeVerifier, callbackScopes: null };
    await expectPlatformError(adapter.exchangeCode({ ...exchange, codeVerifier: newCodeVerifier() }), { kind: 'other', platformCode: 'invalid_grant' });
    await adapter.exchangeCode(exchange);
    await expectPlatformError(adapter.exchangeCode(exchange), { kind: 'other', platformCode: 'invalid_grant' });

    const misconfigured = createPlatformAdapter(youtube, { endpoints: { ...emulator.endpoints('youtube'), clientSecret: 'wrong-secret-value' }, clock: emulator.clock });
    const tokens = await connect('yt_other');
    const error = await expectPlatformError(misconfigured.refresh(tokens), { kind: 'other', platformCode: 'invalid_client' });
    assert.equal(error.httpStatus, 401);

    await emulator.injectFault({ platform: 'youtube', endpoint: 'revoke', status: 400, body: oauthError('invalid_request') });
    await expectPlatformError(adapter.revoke(tokens), { kind: 'other', platformCode: 'invalid_request' });
  });

  it('other: a 200 answer that is not a token response, or a channel list of another shape', async () => {
    const tokens = await connect('yt_garbage');
    await emulator.injectFault({ platform: 'youtube', endpoint: 'refresh', status: 200, body: { hello: 'world' } });
    await expectPlatformError(adapter.refresh(tokens), { kind: 'other', platformCode: 'invalid_response' });
    await emulator.injectFault({ platform: 'youtube', endpoint: 'channels', status: 200, body: { items: [{ id: 'UCx' }] } });
    await expectPlatformError(adapter.fetchProfile(tokens), { kind: 'other', platformCode: 'invalid_response' });
  });

  it('never puts a token, the client secret or Google’s own text in the message, even when Google echoes them', async () => {
    const tokens = await connect('yt_echo');
    const clientSecret = emulator.endpoints('youtube').clientSecret;
    const echo = `refresh ${tokens.refreshToken} access ${tokens.accessToken} secret ${clientSecret}`;
    await emulator.injectFault({ platform: 'youtube', endpoint: 'refresh', status: 400, body: { error: 'invalid_request', error_description: echo } });
    const error = await expectPlatformError(adapter.refresh(tokens), { kind: 'other', platformCode: 'invalid_request' });
    for (const secret of [tokens.refreshToken ?? '', tokens.accessToken, clientSecret]) assert.ok(!error.message.includes(secret), error.message);
    assert.equal(error.message, 'YouTube token refresh failed (HTTP 400): invalid_request');
  });
});
