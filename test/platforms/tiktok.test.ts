import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { PlatformAdapter } from '../../src/platforms/adapter.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { createPlatformAdapter } from '../../src/platforms/oauth-core.ts';
import { tiktok } from '../../src/platforms/tiktok/index.ts';
import { REDIRECT_URI, connectThrough, eligible, expectPlatformError, newCodeVerifier, recordingFetch, startTestEmulator } from './emulator-harness.ts';
import type { TestEmulator } from './emulator-harness.ts';

const HOUR_MS = 60 * 60 * 1000;

describe('TikTok adapter', () => {
  let emulator: TestEmulator;
  let adapter: PlatformAdapter;
  before(async () => {
    emulator = await startTestEmulator();
    adapter = createPlatformAdapter(tiktok, { endpoints: emulator.tiktokEndpoints, clock: emulator.clock });
  });
  after(() => emulator.close());

  it('builds the authorize URL with client_key, comma scopes and an S256 challenge of the verifier', () => {
    const codeVerifier = newCodeVerifier();
    const url = new URL(
      adapter.authorizeUrl({ state: 'st', redirectUri: REDIRECT_URI, scopes: ['user.info.basic', 'video.publish'], codeVerifier }),
    );

    assert.equal(`${url.origin}${url.pathname}`, `${emulator.url}/tiktok/www/v2/auth/authorize/`);
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      client_key: emulator.tiktokEndpoints.clientId,
      response_type: 'code',
      scope: 'user.info.basic,video.publish',
      redirect_uri: REDIRECT_URI,
      state: 'st',
      code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
  });

  it('declares its default and required scopes', () => {
    assert.deepEqual(adapter.defaultScopes, ['user.info.basic', 'user.info.profile', 'video.publish', 'video.upload']);
    assert.deepEqual(adapter.requiredScopes, ['user.info.basic', 'video.publish']);
  });

  it('connects, reads the profile, rotates on refresh, and is dead after revoke', async () => {
    const openId = await emulator.upsertUser('tiktok', 'tt_flow');
    const tokens = await connectThrough(emulator, adapter, 'tt_flow');

    const now = emulator.clock.now().getTime();
    assert.equal(tokens.issuedAt, new Date(now).toISOString());
    assert.equal(tokens.accessTokenExpiresAt, new Date(now + 2 * HOUR_MS).toISOString());
    assert.equal(tokens.refreshTokenExpiresAt, new Date(now + 180 * 24 * HOUR_MS).toISOString());
    assert.deepEqual(tokens.grantedScopes, [...adapter.defaultScopes]);
    assert.match(tokens.accessToken, /^act\./);

    const profile = eligible(await adapter.fetchProfile(tokens));
    assert.equal(profile.platformUserId, openId);
    assert.equal(profile.handle, 'tt_flow');
    assert.equal(profile.displayName, 'Tt Flow');
    assert.match(profile.avatarUrl ?? '', /^http/);
    assert.equal(profile.eligible, true);

    emulator.clock.advance(HOUR_MS);
    const refreshed = await adapter.refresh(tokens);
    assert.notEqual(refreshed.refreshToken, tokens.refreshToken);
    assert.notEqual(refreshed.accessToken, tokens.accessToken);
    assert.equal(refreshed.issuedAt, emulator.clock.now().toISOString());
    assert.deepEqual(refreshed.grantedScopes, tokens.grantedScopes);
    await expectPlatformError(adapter.refresh(tokens), {
      kind: 'needs_reauth',
      platformCode: 'invalid_grant',
      reauthReason: 'token_revoked',
    });
    assert.equal(eligible(await adapter.fetchProfile(refreshed)).platformUserId, openId);

    await adapter.revoke(refreshed);
    await expectPlatformError(adapter.refresh(refreshed), { kind: 'needs_reauth', reauthReason: 'token_revoked' });
    await expectPlatformError(adapter.fetchProfile(refreshed), { kind: 'needs_reauth', reauthReason: 'credential_invalid' });
  });

  it('does not ask for username without user.info.profile and falls back to the display name', async () => {
    const recording = recordingFetch();
    const recorded = createPlatformAdapter(tiktok, { endpoints: emulator.tiktokEndpoints, clock: emulator.clock, fetch: recording.fetch });
    const tokens = await connectThrough(emulator, recorded, 'basic_only', ['user.info.profile']);

    assert.deepEqual(tokens.grantedScopes, ['user.info.basic', 'video.publish', 'video.upload']);
    const profile = eligible(await recorded.fetchProfile(tokens));
    const userInfoUrl = new URL(recording.urls.at(-1) ?? '');
    assert.equal(userInfoUrl.searchParams.get('fields'), 'open_id,union_id,avatar_url,display_name');
    assert.equal(profile.handle, 'Basic Only');
  });

  it('schedules the refresh at 75% of the access token lifetime, or 10 minutes before expiry if earlier', () => {
    const tokens = (issuedAt: string, accessTokenExpiresAt: string): TokenSet => ({
      accessToken: 'a',
      refreshToken: 'r',
      accessTokenExpiresAt,
      refreshTokenExpiresAt: '2027-06-01T00:00:00.000Z',
      issuedAt,
      grantedScopes: [],
    });
    assert.equal(adapter.nextRefreshAt(tokens('2026-11-24T12:00:00.000Z', '2026-11-24T14:00:00.000Z')), '2026-11-24T13:30:00.000Z');
    assert.equal(adapter.nextRefreshAt(tokens('2026-11-24T12:00:00.000Z', '2026-11-24T12:20:00.000Z')), '2026-11-24T12:10:00.000Z');
    assert.equal(adapter.nextRefreshAt(tokens('2026-11-24T12:00:00.000Z', '2026-11-24T12:05:00.000Z')), '2026-11-24T12:00:00.000Z');
  });
});

describe('TikTok adapter with non-default token lifetimes', () => {
  let emulator: TestEmulator;
  before(async () => {
    emulator = await startTestEmulator({ tiktok: { accessTokenTtlSeconds: 86_400, refreshTokenTtlSeconds: 31_536_000 } });
  });
  after(() => emulator.close());

  it('takes expiries from expires_in / refresh_expires_in of every response', async () => {
    const adapter = createPlatformAdapter(tiktok, { endpoints: emulator.tiktokEndpoints, clock: emulator.clock });
    const tokens = await connectThrough(emulator, adapter, 'long_lived');
    const issued = Date.parse(tokens.issuedAt);
    assert.equal(Date.parse(tokens.accessTokenExpiresAt) - issued, 24 * HOUR_MS);
    assert.equal(Date.parse(tokens.refreshTokenExpiresAt ?? ''), issued + 365 * 24 * HOUR_MS);
    assert.equal(adapter.nextRefreshAt(tokens), new Date(issued + 18 * HOUR_MS).toISOString());

    emulator.clock.advance(20 * HOUR_MS);
    const refreshed = await adapter.refresh(tokens);
    assert.equal(Date.parse(refreshed.accessTokenExpiresAt), emulator.clock.now().getTime() + 24 * HOUR_MS);
  });
});
