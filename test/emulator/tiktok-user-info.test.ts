import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEmulator } from '../../src/emulator/app.ts';
import { connectTikTok, tiktokRefresh } from './consent-driver.ts';
import type { TikTokTokenResponse } from './consent-driver.ts';

interface UserInfoResponse {
  data: { user?: Record<string, unknown> };
  error: { code: string; message: string; log_id: string };
}

function userInfo(app: ReturnType<typeof buildEmulator>, accessToken: string, fields: string) {
  return app.inject({
    method: 'GET',
    url: `/tiktok/open/v2/user/info/?fields=${fields}`,
    headers: { authorization: `Bearer ${accessToken}` },
  });
}

describe('TikTok user info', () => {
  it('answers the requested fields in the v2 envelope', async () => {
    const app = buildEmulator({ publicBaseUrl: 'http://emulator.test:8090' });
    const tokens = await connectTikTok(app, 'demo_creator');

    const response = await userInfo(app, tokens.access_token, 'open_id,union_id,avatar_url,display_name,username');
    assert.equal(response.statusCode, 200);
    const body = response.json<UserInfoResponse>();
    assert.equal(body.error.code, 'ok');
    assert.equal(body.error.message, '');
    assert.match(body.error.log_id, /^\d{14}[0-9A-F]{20}$/);
    assert.deepEqual(Object.keys(body.data.user ?? {}), ['open_id', 'union_id', 'avatar_url', 'display_name', 'username']);
    assert.equal(body.data.user?.['open_id'], tokens.open_id);
    assert.equal(body.data.user?.['username'], 'demo_creator');
    assert.equal(body.data.user?.['display_name'], 'Demo Creator');
    assert.equal(body.data.user?.['avatar_url'], `http://emulator.test:8090/avatars/tiktok/${tokens.open_id}.png`);
  });

  it('serves the avatar it links to as a PNG', async () => {
    const app = buildEmulator();
    const tokens = await connectTikTok(app);
    const avatarUrl = new URL(String((await userInfo(app, tokens.access_token, 'avatar_url')).json<UserInfoResponse>().data.user?.['avatar_url']));

    const avatar = await app.inject({ method: 'GET', url: avatarUrl.pathname });
    assert.equal(avatar.statusCode, 200);
    assert.equal(avatar.headers['content-type'], 'image/png');
    assert.deepEqual([...avatar.rawPayload.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('refuses profile fields without user.info.profile: 401 scope_not_authorized', async () => {
    const app = buildEmulator();
    const tokens = await connectTikTok(app, 'demo_creator', 'user.info.basic');

    for (const field of ['username', 'bio_description', 'profile_deep_link', 'is_verified']) {
      const response = await userInfo(app, tokens.access_token, `open_id,${field}`);
      assert.equal(response.statusCode, 401);
      assert.equal(response.json<UserInfoResponse>().error.code, 'scope_not_authorized');
      assert.deepEqual(response.json<UserInfoResponse>().data, {});
    }
    assert.equal((await userInfo(app, tokens.access_token, 'open_id,display_name')).statusCode, 200);
  });

  it('answers 401 access_token_invalid without a valid token', async () => {
    const app = buildEmulator();
    for (const headers of [{}, { authorization: 'Bearer act.not-a-real-token' }]) {
      const response = await app.inject({ method: 'GET', url: '/tiktok/open/v2/user/info/?fields=open_id', headers });
      assert.equal(response.statusCode, 401);
      assert.deepEqual(response.json<UserInfoResponse>().data, {});
      assert.equal(response.json<UserInfoResponse>().error.code, 'access_token_invalid');
    }
  });

  it('answers 401 once the access token has aged past 2 hours', async () => {
    const clock = { now: Date.parse('2026-03-01T12:00:00Z') };
    const app = buildEmulator({ now: () => clock.now });
    const tokens = await connectTikTok(app);
    clock.now += 7199 * 1000;
    assert.equal((await userInfo(app, tokens.access_token, 'open_id')).statusCode, 200);
    clock.now += 1000;

    const response = await userInfo(app, tokens.access_token, 'open_id');
    assert.equal(response.statusCode, 401);
    assert.equal(response.json<UserInfoResponse>().error.code, 'access_token_invalid');
  });

  it('after a control expire: 401, but refreshing still works', async () => {
    const app = buildEmulator();
    const tokens = await connectTikTok(app, 'expiring_user');

    const expire = await app.inject({ method: 'POST', url: '/_control/users/tiktok/expiring_user/expire' });
    assert.deepEqual(expire.json(), { expiredTokens: 1 });
    assert.equal((await userInfo(app, tokens.access_token, 'open_id')).statusCode, 401);

    const refreshed = await app.inject(tiktokRefresh(tokens.refresh_token));
    assert.equal(refreshed.statusCode, 200);
    const fresh = refreshed.json<TikTokTokenResponse>();
    assert.equal((await userInfo(app, fresh.access_token, 'open_id')).statusCode, 200);
  });

  it('after a control revoke: 401 on the API and invalid_grant on refresh', async () => {
    const app = buildEmulator();
    const tokens = await connectTikTok(app, 'leaving_user');

    const revoke = await app.inject({ method: 'POST', url: '/_control/users/tiktok/leaving_user/revoke' });
    assert.deepEqual(revoke.json(), { revokedTokens: 2 });

    const info = await userInfo(app, tokens.access_token, 'open_id');
    assert.equal(info.statusCode, 401);
    assert.equal(info.json<UserInfoResponse>().error.code, 'access_token_invalid');
    const refresh = await app.inject(tiktokRefresh(tokens.refresh_token));
    assert.equal(refresh.statusCode, 400);
    assert.equal(refresh.json<{ error: string }>().error, 'invalid_grant');
  });
});
