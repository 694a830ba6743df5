import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPlatformAdapter } from '../../src/platforms/oauth-core.ts';
import { instagram } from '../../src/platforms/instagram/index.ts';
import type { PlatformAdapter } from '../../src/platforms/adapter.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { REDIRECT_URI, eligible, expectPlatformError, newCodeVerifier, recordingFetch, startTestEmulator } from './emulator-harness.ts';
import type { TestEmulator } from './emulator-harness.ts';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** The callback code as a client reading the whole redirect URL sees it, `#_` included. */
async function consentCode(emulator: TestEmulator, adapter: PlatformAdapter, username: string): Promise<string> {
  const authorizeUrl = adapter.authorizeUrl({
    state: 's1',
    redirectUri: REDIRECT_URI,
    scopes: [...adapter.defaultScopes],
    codeVerifier: newCodeVerifier(),
  });
  const callback = await emulator.consent(authorizeUrl, { username });
  assert.equal(callback.hash, '#_');
  return `${callback.searchParams.get('code')}${callback.hash}`;
}

async function connect(emulator: TestEmulator, adapter: PlatformAdapter, username: string): Promise<TokenSet> {
  const code = await consentCode(emulator, adapter, username);
  return adapter.exchangeCode({ code, redirectUri: REDIRECT_URI, codeVerifier: newCodeVerifier(), callbackScopes: null });
}

/** Rewrites the body of responses whose URL contains `path`, to serve shapes the emulator does not. */
function rewritingFetch(path: string, rewrite: (body: string) => string): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (!String(input).includes(path)) return response;
    return new Response(rewrite(await response.text()), { status: response.status, headers: response.headers });
  };
}

describe('Instagram adapter', () => {
  let emulator: TestEmulator;
  let adapter: PlatformAdapter;
  before(async () => {
    emulator = await startTestEmulator();
    adapter = createPlatformAdapter(instagram, { endpoints: emulator.instagramEndpoints, clock: emulator.clock });
  });
  after(() => emulator.close());

  it('builds the authorize URL with client_id and comma scopes', () => {
    const url = new URL(
      adapter.authorizeUrl({ state: 'st', redirectUri: REDIRECT_URI, scopes: [...adapter.defaultScopes], codeVerifier: 'v' }),
    );
    assert.equal(`${url.origin}${url.pathname}`, `${emulator.url}/instagram/www/oauth/authorize`);
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      client_id: emulator.instagramEndpoints.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'instagram_business_basic,instagram_business_content_publish',
      state: 'st',
    });
    assert.deepEqual(adapter.requiredScopes, ['instagram_business_basic', 'instagram_business_content_publish']);
  });

  it('exchanges a `#_` code for a long-lived token, reads the exact 64-bit user id, refreshes after 24 h', async () => {
    const userId = await emulator.upsertUser('instagram', 'ig_flow');
    const tokens = await connect(emulator, adapter, 'ig_flow');

    const issued = emulator.clock.now().getTime();
    assert.equal(tokens.issuedAt, new Date(issued).toISOString());
    assert.equal(tokens.accessTokenExpiresAt, new Date(issued + 60 * DAY_MS).toISOString());
    assert.equal(tokens.refreshTokenExpiresAt, tokens.accessTokenExpiresAt);
    assert.equal(tokens.refreshToken, null);
    assert.deepEqual(tokens.grantedScopes, [...adapter.defaultScopes]);

    const profile = eligible(await adapter.fetchProfile(tokens));
    assert.ok(BigInt(userId) > 2n ** 53n);
    assert.deepEqual(profile, {
      platformUserId: userId,
      handle: 'ig_flow',
      displayName: 'Ig Flow',
      avatarUrl: profile.avatarUrl,
      eligible: true,
    });
    assert.match(profile.avatarUrl ?? '', /^http/);

    await expectPlatformError(adapter.refresh(tokens), { kind: 'other', platformCode: '100' });
    const nextRefreshAt = adapter.nextRefreshAt(tokens);
    assert.equal(nextRefreshAt, new Date(issued + 45 * DAY_MS).toISOString());

    emulator.clock.advance(25 * HOUR_MS);
    const refreshed = await adapter.refresh(tokens);
    assert.notEqual(refreshed.accessToken, tokens.accessToken);
    assert.equal(refreshed.refreshToken, null);
    assert.equal(refreshed.accessTokenExpiresAt, new Date(issued + 25 * HOUR_MS + 60 * DAY_MS).toISOString());
    assert.deepEqual(refreshed.grantedScopes, tokens.grantedScopes);
    assert.equal(eligible(await adapter.fetchProfile(refreshed)).platformUserId, userId);
  });

  it('marks personal accounts ineligible and creator accounts eligible', async () => {
    await emulator.upsertUser('instagram', 'ig_personal', 'PERSONAL');
    await emulator.upsertUser('instagram', 'ig_creator', 'CREATOR');
    assert.equal((await adapter.fetchProfile(await connect(emulator, adapter, 'ig_personal'))).eligible, false);
    assert.equal((await adapter.fetchProfile(await connect(emulator, adapter, 'ig_creator'))).eligible, true);
  });

  it('accepts the documented {data:[…]} exchange shape and a numeric user_id on /me', async () => {
    const userId = await emulator.upsertUser('instagram', 'ig_shapes');
    const reshaped = createPlatformAdapter(instagram, {
      endpoints: emulator.instagramEndpoints,
      clock: emulator.clock,
      fetch: rewritingFetch('/oauth/access_token', (body) => `{"data":[${body}]}`),
    });
    const tokens = await connect(emulator, reshaped, 'ig_shapes');
    assert.deepEqual(tokens.grantedScopes, [...adapter.defaultScopes]);

    const numericId = createPlatformAdapter(instagram, {
      endpoints: emulator.instagramEndpoints,
      clock: emulator.clock,
      fetch: rewritingFetch('/me', (body) => body.replace(/"user_id":"(\d+)"/, '"user_id":$1')),
    });
    assert.equal(eligible(await numericId.fetchProfile(tokens)).platformUserId, userId);
  });

  it('revokes nothing upstream: Instagram Login has no revoke endpoint', async () => {
    const recording = recordingFetch();
    const recorded = createPlatformAdapter(instagram, { endpoints: emulator.instagramEndpoints, clock: emulator.clock, fetch: recording.fetch });
    const tokens = await connect(emulator, recorded, 'ig_revoke');
    const calls = recording.urls.length;
    await recorded.revoke(tokens);
    assert.equal(recording.urls.length, calls);
  });

  it('refuses to be built without the graph host', () => {
    const { graphBaseUrl: _omitted, ...endpoints } = emulator.instagramEndpoints;
    assert.throws(() => createPlatformAdapter(instagram, { endpoints, clock: emulator.clock }), /graphBaseUrl/);
  });
});

describe('Instagram adapter with non-default token lifetimes', () => {
  let emulator: TestEmulator;
  before(async () => {
    emulator = await startTestEmulator({ instagram: { longLivedTtlSeconds: 7 * 24 * 3600 } });
  });
  after(() => emulator.close());

  it('takes the expiry from expires_in and schedules the refresh within it, not before 24 h', async () => {
    const adapter = createPlatformAdapter(instagram, { endpoints: emulator.instagramEndpoints, clock: emulator.clock });
    const tokens = await connect(emulator, adapter, 'ig_week');
    const issued = Date.parse(tokens.issuedAt);
    assert.equal(Date.parse(tokens.accessTokenExpiresAt), issued + 7 * DAY_MS);
    assert.equal(adapter.nextRefreshAt(tokens), new Date(issued + 5.25 * DAY_MS).toISOString());
  });

  it('never schedules a refresh before the token is a day old, nor one it cannot live to see', () => {
    const adapter = createPlatformAdapter(instagram, { endpoints: emulator.instagramEndpoints, clock: emulator.clock });
    const tokens = (hours: number): TokenSet => ({
      accessToken: 'IGAA',
      refreshToken: null,
      issuedAt: '2026-11-24T12:00:00.000Z',
      accessTokenExpiresAt: new Date(Date.parse('2026-11-24T12:00:00.000Z') + hours * HOUR_MS).toISOString(),
      refreshTokenExpiresAt: null,
      grantedScopes: [],
    });
    assert.equal(adapter.nextRefreshAt(tokens(30)), '2026-11-25T12:00:00.000Z');
    assert.equal(adapter.nextRefreshAt(tokens(20)), null);
  });
});
