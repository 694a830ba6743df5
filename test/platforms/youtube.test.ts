import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { PlatformAdapter } from '../../src/platforms/adapter.ts';
import { createPlatformAdapter } from '../../src/platforms/oauth-core.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { youtube } from '../../src/platforms/youtube/index.ts';
import { REDIRECT_URI, connectThrough, eligible, expectPlatformError, newCodeVerifier, recordingFetch, startTestEmulator } from './emulator-harness.ts';
import type { TestEmulator } from './emulator-harness.ts';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const READONLY = 'https://www.googleapis.com/auth/youtube.readonly';
const UPLOAD = 'https://www.googleapis.com/auth/youtube.upload';

describe('YouTube adapter', () => {
  let emulator: TestEmulator;
  let adapter: PlatformAdapter;
  before(async () => {
    emulator = await startTestEmulator();
    adapter = createPlatformAdapter(youtube, { endpoints: emulator.endpoints('youtube'), clock: emulator.clock });
  });
  after(() => emulator.close());

  it('builds Google’s consent URL: offline access, a fresh consent, granted scopes kept, space-separated scope URLs, S256', () => {
    const codeVerifier = newCodeVerifier();
    const url = new URL(adapter.authorizeUrl({ state: 'st', redirectUri: REDIRECT_URI, scopes: [READONLY, UPLOAD], codeVerifier }));

    assert.equal(`${url.origin}${url.pathname}`, `${emulator.url}/youtube/accounts/o/oauth2/v2/auth`);
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      client_id: emulator.endpoints('youtube').clientId,
      response_type: 'code',
      scope: `${READONLY} ${UPLOAD}`,
      redirect_uri: REDIRECT_URI,
      state: 'st',
      access_type: 'offline',
      prompt: 'consent',
      include_granted_scopes: 'true',
      code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
  });

  it('declares its scopes and its production hosts', () => {
    assert.deepEqual(adapter.defaultScopes, [READONLY, UPLOAD]);
    assert.deepEqual(adapter.requiredScopes, [READONLY, UPLOAD]);
    assert.deepEqual(
      Object.fromEntries(Object.entries(youtube.app.hosts).map(([name, host]) => [name, [host.env, host.production]])),
      {
        authBaseUrl: ['YOUTUBE_AUTH_BASE_URL', 'https://accounts.google.com'],
        tokenBaseUrl: ['YOUTUBE_TOKEN_BASE_URL', 'https://oauth2.googleapis.com'],
        apiBaseUrl: ['YOUTUBE_API_BASE_URL', 'https://www.googleapis.com'],
      },
    );
    assert.deepEqual([youtube.app.clientIdEnv, youtube.app.clientSecretEnv], ['YOUTUBE_CLIENT_ID', 'YOUTUBE_CLIENT_SECRET']);
    assert.equal(youtube.reauthEligible, false);
  });

  it('connects, reads the channel, refreshes keeping the same refresh token, and is dead after revoke', async () => {
    const channelId = await emulator.upsertUser('youtube', 'yt_flow');
    assert.match(channelId, /^UC[A-Za-z0-9_-]{22}$/);
    const tokens = await connectThrough(emulator, adapter, 'yt_flow');

    const now = emulator.clock.now().getTime();
    assert.equal(tokens.issuedAt, new Date(now).toISOString());
    assert.equal(tokens.accessTokenExpiresAt, new Date(now + 3599 * 1000).toISOString());
    assert.equal(tokens.refreshTokenExpiresAt, null, 'Google does not say when a refresh token dies');
    assert.match(tokens.accessToken, /^ya29\./);
    assert.match(tokens.refreshToken ?? '', /^1\/\//);
    assert.deepEqual(tokens.grantedScopes, [READONLY, UPLOAD]);

    const profile = eligible(await adapter.fetchProfile(tokens));
    assert.deepEqual(profile, {
      eligible: true,
      platformUserId: channelId,
      handle: 'yt_flow',
      displayName: 'Yt Flow',
      avatarUrl: `${emulator.url}/avatars/youtube/${channelId}.png`,
    });

    emulator.clock.advance(HOUR_MS);
    const refreshed = await adapter.refresh(tokens);
    assert.notEqual(refreshed.accessToken, tokens.accessToken);
    assert.equal(refreshed.refreshToken, tokens.refreshToken, 'the refresh token is kept: Google does not rotate it');
    assert.equal(refreshed.issuedAt, emulator.clock.now().toISOString());
    assert.equal(refreshed.accessTokenExpiresAt, new Date(emulator.clock.now().getTime() + 3599 * 1000).toISOString());
    assert.equal(refreshed.refreshTokenExpiresAt, null);
    assert.deepEqual(refreshed.grantedScopes, tokens.grantedScopes);
    assert.equal(eligible(await adapter.fetchProfile(refreshed)).platformUserId, channelId);
    // …and refreshes again with it.
    assert.equal((await adapter.refresh(refreshed)).refreshToken, tokens.refreshToken);

    await adapter.revoke(refreshed);
    await expectPlatformError(adapter.refresh(refreshed), { kind: 'needs_reauth', platformCode: 'invalid_grant', reauthReason: 'token_revoked' });
    await expectPlatformError(adapter.fetchProfile(refreshed), { kind: 'needs_reauth', platformCode: 'authError', reauthReason: 'credential_invalid' });
  });

  it('revokes with the refresh token at Google’s revoke endpoint, and a token already dead there counts as done', async () => {
    const recording = recordingFetch();
    const recorded = createPlatformAdapter(youtube, { endpoints: emulator.endpoints('youtube'), clock: emulator.clock, fetch: recording.fetch });
    const tokens = await connectThrough(emulator, recorded, 'yt_revoker');
    await recorded.revoke(tokens);
    assert.equal(recording.urls.at(-1), `${emulator.url}/youtube/oauth2/revoke`);

    // Revoked again, or revoked by the person in their Google account first: 400 invalid_token, not an error.
    await recorded.revoke(tokens);
    const other = await connectThrough(emulator, recorded, 'yt_gone_first');
    await emulator.revokeUser('youtube', 'yt_gone_first');
    await recorded.revoke(other);
  });

  it('a Google account without a channel is not eligible, with a reason for the partner', async () => {
    await emulator.upsertUser('youtube', 'yt_viewer', 'NO_CHANNEL');
    const profile = await adapter.fetchProfile(await connectThrough(emulator, adapter, 'yt_viewer'));
    assert.deepEqual(profile, { eligible: false, reason: 'This Google account has no YouTube channel. Create one on YouTube, then connect again.' });
  });

  it('reads the granted scopes from Google’s answer: an unticked scope is not granted', async () => {
    const tokens = await connectThrough(emulator, adapter, 'yt_partial', [UPLOAD]);
    assert.deepEqual(tokens.grantedScopes, [READONLY]);
    const noRead = await connectThrough(emulator, adapter, 'yt_no_read', [READONLY]);
    assert.deepEqual(noRead.grantedScopes, [UPLOAD]);
    // The channel cannot be read without a read scope.
    await expectPlatformError(adapter.fetchProfile(noRead), { kind: 'needs_reauth', platformCode: 'insufficientPermissions', reauthReason: 'scopes_missing' });
  });

  it('an access token rejected before its expiry is mended by a refresh', async () => {
    const tokens = await connectThrough(emulator, adapter, 'yt_early');
    await emulator.expireAccessTokens('youtube', 'yt_early');
    await expectPlatformError(adapter.fetchProfile(tokens), { kind: 'needs_reauth', reauthReason: 'credential_invalid' });
    assert.equal(youtube.oauth.refreshMendsRejectedAccessToken, true);
    assert.equal(eligible(await adapter.fetchProfile(await adapter.refresh(tokens))).handle, 'yt_early');
  });

  it('schedules only a keep-alive refresh, 30 days after the tokens were issued; none without a refresh token', async () => {
    const tokens: TokenSet = {
      accessToken: 'ya29.a',
      refreshToken: '1//r',
      accessTokenExpiresAt: '2026-11-24T12:59:59.000Z',
      refreshTokenExpiresAt: null,
      issuedAt: '2026-11-24T12:00:00.000Z',
      grantedScopes: [],
    };
    assert.equal(adapter.nextRefreshAt(tokens), '2026-12-24T12:00:00.000Z');
    assert.equal(adapter.nextRefreshAt({ ...tokens, refreshToken: null }), null);
  });

  it('a refresh token left unused for six months dies: the refresh answers invalid_grant → token_revoked', async () => {
    const tokens = await connectThrough(emulator, adapter, 'yt_idle');
    emulator.clock.advance(184 * DAY_MS);
    await expectPlatformError(adapter.refresh(tokens), { kind: 'needs_reauth', platformCode: 'invalid_grant', reauthReason: 'token_revoked' });
  });
});
