import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildEmulator, EMULATOR_DEFAULT_CREDENTIALS } from '../../src/emulator/app.ts';
import type { EmulatorOptions } from '../../src/emulator/app.ts';
import { REDIRECT_URI, formPost, submitConsent } from './consent-driver.ts';
import type { ConsentChoice } from './consent-driver.ts';

type Emulator = ReturnType<typeof buildEmulator>;

const CREDENTIALS = EMULATOR_DEFAULT_CREDENTIALS.youtube;
const READONLY = 'https://www.googleapis.com/auth/youtube.readonly';
const UPLOAD = 'https://www.googleapis.com/auth/youtube.upload';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-verifier';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
const DAY_MS = 24 * 60 * 60 * 1000;

interface GoogleTokens {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
  scope: string;
  token_type: string;
}

interface ApiError {
  error: { code: number; message: string; errors: Array<{ reason: string; domain: string; message: string }>; status: string };
}

function emulatorWithClock(options: EmulatorOptions = {}) {
  const clock = { now: Date.parse('2026-03-01T12:00:00Z') };
  const app = buildEmulator({ ...options, now: () => clock.now, publicBaseUrl: 'http://emulator.test' });
  return { app, clock };
}

function authorizeUrl(params: Record<string, string> = {}): string {
  const query = new URLSearchParams({
    client_id: CREDENTIALS.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: `${READONLY} ${UPLOAD}`,
    state: 'g-state',
    access_type: 'offline',
    prompt: 'consent',
    include_granted_scopes: 'true',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...params,
  });
  return `/youtube/accounts/o/oauth2/v2/auth?${query}`;
}

function codeExchange(code: string, extra: Record<string, string> = {}) {
  return formPost('/youtube/oauth2/token', {
    code,
    client_id: CREDENTIALS.clientId,
    client_secret: CREDENTIALS.clientSecret,
    redirect_uri: REDIRECT_URI,
    grant_type: 'authorization_code',
    code_verifier: VERIFIER,
    ...extra,
  });
}

function refresh(refreshToken: string) {
  return formPost('/youtube/oauth2/token', {
    client_id: CREDENTIALS.clientId,
    client_secret: CREDENTIALS.clientSecret,
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
  });
}

function channels(app: Emulator, token: string | undefined, query = 'part=snippet&mine=true') {
  return app.inject({ method: 'GET', url: `/youtube/www/youtube/v3/channels?${query}`, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
}

function revoke(app: Emulator, token: string) {
  return app.inject(formPost('/youtube/oauth2/revoke', { token }));
}

async function authorizeCode(app: Emulator, params: Record<string, string> = {}, choice: ConsentChoice = {}): Promise<string> {
  return (await submitConsent(app, authorizeUrl(params), choice)).searchParams.get('code') ?? '';
}

/** Consent as `username` and redeem the code: what a Google client ends up holding. */
async function connect(app: Emulator, username = 'demo_creator'): Promise<GoogleTokens> {
  const response = await app.inject(codeExchange(await authorizeCode(app, {}, { username })));
  assert.equal(response.statusCode, 200, response.body);
  return response.json<GoogleTokens>();
}

function tokenStates(app: Emulator) {
  return app
    .inject({ method: 'GET', url: '/_control/tokens/youtube' })
    .then((response) => new Map(response.json<{ tokens: Array<{ token: string; state: string }> }>().tokens.map((t) => [t.token, t.state])));
}

describe('Google consent page', () => {
  it('lists the requested scopes and redirects back with state, code and the granted scopes, space-separated', async () => {
    const { app } = emulatorWithClock();
    const page = await app.inject({ method: 'GET', url: authorizeUrl() });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Google \(emulator\)/);
    assert.ok(page.body.includes(`value="${READONLY}"`) && page.body.includes(`value="${UPLOAD}"`));

    const redirect = await submitConsent(app, authorizeUrl());
    assert.equal(`${redirect.origin}${redirect.pathname}`, REDIRECT_URI);
    assert.deepEqual([...redirect.searchParams.keys()], ['state', 'code', 'scope']);
    assert.equal(redirect.searchParams.get('state'), 'g-state');
    assert.match(redirect.searchParams.get('code') ?? '', /^4\/0A[A-Za-z0-9]+$/);
    assert.equal(redirect.searchParams.get('scope'), `${READONLY} ${UPLOAD}`);
  });

  it('granular consent: an unticked scope is missing from the redirect and from the token', async () => {
    const { app } = emulatorWithClock();
    const redirect = await submitConsent(app, authorizeUrl(), { untick: [UPLOAD] });
    assert.equal(redirect.searchParams.get('scope'), READONLY);
    const tokens = (await app.inject(codeExchange(redirect.searchParams.get('code') ?? ''))).json<GoogleTokens>();
    assert.equal(tokens.scope, READONLY);
  });

  it('denial redirects with error=access_denied and the state', async () => {
    const { app } = emulatorWithClock();
    const redirect = await submitConsent(app, authorizeUrl(), { decision: 'deny' });
    assert.deepEqual(Object.fromEntries(redirect.searchParams), { error: 'access_denied', state: 'g-state' });
  });

  it('refuses a bad client, redirect URI, response type, access_type, prompt, scope or PKCE method with an error page', async () => {
    const { app } = emulatorWithClock();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ client_id: 'someone-else.apps.googleusercontent.com' }, /invalid_client/],
      [{ redirect_uri: 'not a url' }, /redirect_uri_mismatch/],
      [{ redirect_uri: 'https://app.example.com/cb#frag' }, /redirect_uri_mismatch/],
      [{ response_type: 'token' }, /unsupported_response_type/],
      [{ access_type: 'forever' }, /Invalid access_type: forever/],
      [{ prompt: 'consent nag' }, /Invalid prompt: nag/],
      [{ include_granted_scopes: 'yes' }, /Invalid include_granted_scopes/],
      [{ scope: `${UPLOAD} https://www.googleapis.com/auth/drive` }, /invalid_scope.*drive/],
      [{ code_challenge_method: 'plain' }, /Invalid code_challenge_method: plain/],
    ];
    for (const [params, message] of cases) {
      const response = await app.inject({ method: 'GET', url: authorizeUrl(params) });
      assert.equal(response.statusCode, 400, JSON.stringify(params));
      assert.match(response.headers['content-type'] ?? '', /^text\/html/);
      assert.match(response.body, message);
      assert.equal(response.headers.location, undefined);
    }
  });
});

describe('Google token endpoint', () => {
  it('exchanges a code (PKCE S256) for ya29 / 1// tokens in Google’s flat answer', async () => {
    const { app } = emulatorWithClock();
    const response = await app.inject(codeExchange(await authorizeCode(app)));
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json<GoogleTokens>();
    assert.deepEqual(Object.keys(body), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    assert.match(body.access_token, /^ya29\./);
    assert.match(body.refresh_token ?? '', /^1\/\//);
    assert.equal(body.expires_in, 3599);
    assert.equal(body.scope, `${READONLY} ${UPLOAD}`);
    assert.equal(body.token_type, 'Bearer');
  });

  it('issues a refresh token only for offline access', async () => {
    const { app } = emulatorWithClock();
    for (const params of [{ access_type: 'online' }, { access_type: '' }]) {
      const body = (await app.inject(codeExchange(await authorizeCode(app, params)))).json<GoogleTokens>();
      assert.equal(body.refresh_token, undefined, JSON.stringify(params));
      assert.match(body.access_token, /^ya29\./);
    }
  });

  it('rejects a reused code, a wrong or missing verifier, a verifier without a challenge, another redirect URI and a wrong secret', async () => {
    const { app } = emulatorWithClock();
    const expectError = async (request: ReturnType<typeof codeExchange>, status: number, error: string, description?: string) => {
      const response = await app.inject(request);
      assert.equal(response.statusCode, status, response.body);
      const body = response.json<{ error: string; error_description: string }>();
      assert.deepEqual(Object.keys(body), ['error', 'error_description']);
      assert.equal(body.error, error);
      if (description !== undefined) assert.equal(body.error_description, description);
    };

    const code = await authorizeCode(app);
    await expectError(codeExchange(code, { code_verifier: `${VERIFIER}x` }), 400, 'invalid_grant', 'Invalid code verifier.');
    const { code_verifier: _verifier, ...withoutVerifier } = Object.fromEntries(new URLSearchParams(codeExchange(code).payload));
    await expectError(formPost('/youtube/oauth2/token', withoutVerifier as Record<string, string>), 400, 'invalid_grant', 'Missing code verifier.');
    await expectError(codeExchange(code, { redirect_uri: 'https://app.example.com/elsewhere' }), 400, 'redirect_uri_mismatch');
    await expectError(codeExchange(code, { client_secret: 'wrong' }), 401, 'invalid_client');
    // None of those spent the code.
    assert.equal((await app.inject(codeExchange(code))).statusCode, 200);
    await expectError(codeExchange(code), 400, 'invalid_grant');

    const plain = await authorizeCode(app, { code_challenge: '', code_challenge_method: '' });
    await expectError(codeExchange(plain), 400, 'invalid_grant', 'code_verifier or verifier is not needed.');
    await expectError(formPost('/youtube/oauth2/token', { client_id: CREDENTIALS.clientId, client_secret: CREDENTIALS.clientSecret, grant_type: 'password' }), 400, 'unsupported_grant_type');
  });

  it('refreshes without rotating: a new access token, no refresh_token in the answer, the old refresh token still good', async () => {
    const { app, clock } = emulatorWithClock();
    const tokens = await connect(app);
    clock.now += 30 * 60 * 1000;
    const first = await app.inject(refresh(tokens.refresh_token ?? ''));
    assert.equal(first.statusCode, 200, first.body);
    const body = first.json<GoogleTokens>();
    assert.deepEqual(Object.keys(body), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.notEqual(body.access_token, tokens.access_token);
    assert.equal(body.expires_in, 3599);
    assert.equal((await app.inject(refresh(tokens.refresh_token ?? ''))).statusCode, 200);
    // The access token it replaced is still valid until it expires.
    assert.equal((await channels(app, tokens.access_token)).statusCode, 200);
  });

  it('a refresh token unused for six months dies; each use starts the six months again', async () => {
    const { app, clock } = emulatorWithClock();
    const kept = await connect(app, 'kept_alive');
    const idle = await connect(app, 'left_idle');
    for (let month = 0; month < 7; month++) {
      clock.now += 30 * DAY_MS;
      assert.equal((await app.inject(refresh(kept.refresh_token ?? ''))).statusCode, 200, `month ${month + 1}`);
    }
    const dead = await app.inject(refresh(idle.refresh_token ?? ''));
    assert.equal(dead.statusCode, 400);
    assert.deepEqual(dead.json(), { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
  });
});

describe('Google revoke endpoint', () => {
  it('revoking either token ends the whole grant; a dead or unknown token answers 400 invalid_token', async () => {
    const { app } = emulatorWithClock();
    const byAccess = await connect(app, 'by_access');
    assert.equal((await revoke(app, byAccess.access_token)).statusCode, 200);
    let states = await tokenStates(app);
    assert.equal(states.get(byAccess.access_token), 'revoked');
    assert.equal(states.get(byAccess.refresh_token ?? ''), 'revoked');
    assert.deepEqual((await app.inject(refresh(byAccess.refresh_token ?? ''))).json(), {
      error: 'invalid_grant',
      error_description: 'Token has been expired or revoked.',
    });

    const byRefresh = await connect(app, 'by_refresh');
    assert.equal((await revoke(app, byRefresh.refresh_token ?? '')).statusCode, 200);
    states = await tokenStates(app);
    assert.equal(states.get(byRefresh.access_token), 'revoked');
    assert.equal((await channels(app, byRefresh.access_token)).statusCode, 401);

    for (const token of [byRefresh.refresh_token ?? '', 'ya29.unknown']) {
      const again = await revoke(app, token);
      assert.equal(again.statusCode, 400);
      assert.equal(again.json<{ error: string }>().error, 'invalid_token');
    }
  });
});

describe('YouTube Data API channels.list', () => {
  it('answers the person’s channel: a stable UC id, title, @handle and thumbnails', async () => {
    const { app } = emulatorWithClock();
    const tokens = await connect(app, 'video.maker');
    const response = await channels(app, tokens.access_token, 'part=snippet,statistics&mine=true');
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json<{ kind: string; pageInfo: { totalResults: number }; items: Array<Record<string, any>> }>();
    assert.equal(body.kind, 'youtube#channelListResponse');
    assert.equal(body.pageInfo.totalResults, 1);
    const [channel] = body.items;
    assert.match(channel?.['id'], /^UC[A-Za-z0-9_-]{22}$/);
    const control = await app.inject({ method: 'POST', url: '/_control/users/youtube/video.maker', payload: {} });
    assert.equal(control.json<{ userId: string }>().userId, channel?.['id'], 'the same id as the control API reports');
    assert.equal(channel?.['snippet'].title, 'Video Maker');
    assert.equal(channel?.['snippet'].customUrl, '@video.maker');
    assert.equal(channel?.['snippet'].thumbnails.high.url, `http://emulator.test/avatars/youtube/${channel?.['id']}.png`);
    assert.equal(channel?.['statistics'].videoCount, '0');
    assert.equal(channel?.['contentDetails'], undefined, 'only the requested parts');

    const avatar = await app.inject({ method: 'GET', url: `/avatars/youtube/${channel?.['id']}.png` });
    assert.equal(avatar.statusCode, 200);
    assert.equal(avatar.headers['content-type'], 'image/png');
  });

  it('a Google account without a channel: no items at all', async () => {
    const { app } = emulatorWithClock();
    const created = await app.inject({ method: 'POST', url: '/_control/users/youtube/viewer_only', payload: { accountType: 'NO_CHANNEL' } });
    assert.equal(created.statusCode, 200, created.body);
    const tokens = await connect(app, 'viewer_only');
    const response = await channels(app, tokens.access_token);
    assert.equal(response.statusCode, 200);
    const body = response.json<Record<string, unknown>>();
    assert.equal(body['items'], undefined);
    assert.deepEqual(body['pageInfo'], { totalResults: 0, resultsPerPage: 5 });
  });

  it('answers Google’s API error shape: 401 authError for missing, unknown, expired and revoked tokens', async () => {
    const { app, clock } = emulatorWithClock();
    const tokens = await connect(app, 'errors_user');
    const expectAuthError = async (token: string | undefined) => {
      const response = await channels(app, token);
      assert.equal(response.statusCode, 401);
      const { error } = response.json<ApiError>();
      assert.equal(error.code, 401);
      assert.equal(error.status, 'UNAUTHENTICATED');
      assert.equal(error.errors[0]?.reason, 'authError');
      assert.equal(error.errors[0]?.domain, 'global');
      assert.ok(error.message.length > 0);
    };
    await expectAuthError(undefined);
    await expectAuthError('ya29.unknown');
    await expectAuthError(tokens.refresh_token);
    clock.now += 3600 * 1000;
    await expectAuthError(tokens.access_token);
    const fresh = (await app.inject(refresh(tokens.refresh_token ?? ''))).json<GoogleTokens>();
    assert.equal((await channels(app, fresh.access_token)).statusCode, 200);
    await app.inject({ method: 'POST', url: '/_control/users/youtube/errors_user/revoke' });
    await expectAuthError(fresh.access_token);
  });

  it('403 insufficientPermissions without a read scope; 400 for an unknown part or no filter', async () => {
    const { app } = emulatorWithClock();
    const uploadOnly = (await app.inject(codeExchange(await authorizeCode(app, {}, { untick: [READONLY] })))).json<GoogleTokens>();
    const refused = await channels(app, uploadOnly.access_token);
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json<ApiError>().error.errors[0]?.reason, 'insufficientPermissions');

    const tokens = await connect(app);
    const unknownPart = await channels(app, tokens.access_token, 'part=snippet,secrets&mine=true');
    assert.equal(unknownPart.statusCode, 400);
    assert.equal(unknownPart.json<ApiError>().error.errors[0]?.reason, 'unknownPart');
    const noFilter = await channels(app, tokens.access_token, 'part=snippet');
    assert.equal(noFilter.statusCode, 400);
    assert.equal(noFilter.json<ApiError>().error.errors[0]?.reason, 'missingRequiredParameter');
  });
});

describe('YouTube control hooks', () => {
  it('account types are CHANNEL (what a consent creates) and NO_CHANNEL', async () => {
    const { app } = emulatorWithClock();
    await connect(app, 'first_timer');
    const listed = await app.inject({ method: 'POST', url: '/_control/users/youtube/first_timer', payload: {} });
    assert.equal(listed.json<{ accountType: string }>().accountType, 'CHANNEL');
    const wrong = await app.inject({ method: 'POST', url: '/_control/users/youtube/first_timer', payload: { accountType: 'BUSINESS' } });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /CHANNEL, NO_CHANNEL/);
  });

  it('faults: token, refresh, revoke and channels answer Google’s shapes for the injected status', async () => {
    const { app } = emulatorWithClock();
    const tokens = await connect(app, 'faulty');
    const fault = (endpoint: string, status: number) => app.inject({ method: 'POST', url: '/_control/faults', payload: { platform: 'youtube', endpoint, status } });

    assert.equal((await fault('refresh', 503)).statusCode, 200);
    const unavailable = await app.inject(refresh(tokens.refresh_token ?? ''));
    assert.equal(unavailable.statusCode, 503);
    assert.equal(unavailable.json<{ error: string }>().error, 'temporarily_unavailable');

    await fault('channels', 403);
    const quota = await channels(app, tokens.access_token);
    assert.equal(quota.statusCode, 403);
    assert.equal(quota.json<ApiError>().error.errors[0]?.reason, 'quotaExceeded');

    await fault('revoke', 500);
    assert.equal((await revoke(app, tokens.access_token)).statusCode, 500);
    await fault('token', 500);
    assert.equal((await app.inject(codeExchange(await authorizeCode(app)))).statusCode, 500);

    assert.equal((await fault('userinfo', 500)).statusCode, 400, 'only YouTube’s own endpoints');
    // The faults were spent: everything works again.
    assert.equal((await app.inject(refresh(tokens.refresh_token ?? ''))).statusCode, 200);
    assert.equal((await channels(app, tokens.access_token)).statusCode, 200);
  });
});
