import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { buildEmulator } from '../../src/emulator/app.ts';
import {
  connectInstagram,
  connectTikTok,
  instagramLongLived,
  submitConsent,
  tiktokAuthorizeUrl,
  tiktokCodeExchange,
  tiktokRefresh,
} from './consent-driver.ts';

interface TokenListing {
  tokens: Array<{ token: string; kind: string; username: string; userId: string; state: string; issuedAt: string; expiresAt: string }>;
}

function listTokens(app: ReturnType<typeof buildEmulator>, platform: string) {
  return app.inject({ method: 'GET', url: `/_control/tokens/${platform}` }).then((response) => response.json<TokenListing>());
}

function addFault(app: ReturnType<typeof buildEmulator>, fault: Record<string, unknown>) {
  return app.inject({ method: 'POST', url: '/_control/faults', payload: fault });
}

describe('control: users', () => {
  it('creates and updates users, reporting their stable id', async () => {
    const app = buildEmulator();
    const created = await app.inject({ method: 'POST', url: '/_control/users/instagram/Brand.Account', payload: { accountType: 'CREATOR' } });
    const updated = await app.inject({ method: 'POST', url: '/_control/users/instagram/brand.account', payload: { accountType: 'PERSONAL' } });

    assert.equal(created.statusCode, 200);
    const first = created.json<{ platform: string; username: string; userId: string; accountType: string }>();
    assert.deepEqual([first.platform, first.username, first.accountType], ['instagram', 'brand.account', 'CREATOR']);
    assert.match(first.userId, /^1784\d{13}$/);
    assert.deepEqual(updated.json(), { ...first, accountType: 'PERSONAL' });
  });

  it('rejects unknown platforms, account types and users', async () => {
    const app = buildEmulator();
    const platform = await app.inject({ method: 'POST', url: '/_control/users/myspace/tom', payload: {} });
    const accountType = await app.inject({ method: 'POST', url: '/_control/users/tiktok/tom', payload: { accountType: 'ROBOT' } });
    const unknownUser = await app.inject({ method: 'POST', url: '/_control/users/tiktok/nobody/revoke' });

    assert.equal(platform.statusCode, 400);
    assert.equal(accountType.statusCode, 400);
    assert.equal(unknownUser.statusCode, 404);
  });
});

describe('control: token listing', () => {
  it('lists every TikTok token with its state: active, rotated, expired, revoked', async () => {
    const app = buildEmulator();
    const first = await connectTikTok(app, 'lister');
    await app.inject(tiktokRefresh(first.refresh_token));

    let listing = await listTokens(app, 'tiktok');
    assert.deepEqual(
      listing.tokens.map((token) => [token.kind, token.state]),
      [
        ['access', 'active'],
        ['refresh', 'rotated'],
        ['access', 'active'],
        ['refresh', 'active'],
      ],
    );
    assert.equal(listing.tokens[0]?.token, first.access_token);
    assert.equal(listing.tokens[0]?.username, 'lister');
    assert.equal(listing.tokens[0]?.userId, first.open_id);
    assert.equal(Date.parse(listing.tokens[0]?.expiresAt ?? '') - Date.parse(listing.tokens[0]?.issuedAt ?? ''), 7200 * 1000);

    await app.inject({ method: 'POST', url: '/_control/users/tiktok/lister/expire' });
    listing = await listTokens(app, 'tiktok');
    assert.deepEqual(listing.tokens.map((token) => token.state), ['expired', 'rotated', 'expired', 'active']);

    await app.inject({ method: 'POST', url: '/_control/users/tiktok/lister/revoke' });
    listing = await listTokens(app, 'tiktok');
    assert.deepEqual(listing.tokens.map((token) => token.state), ['revoked', 'rotated', 'revoked', 'revoked']);
  });

  it('lists Instagram short-lived tokens as exchanged once traded for a long-lived one', async () => {
    const app = buildEmulator();
    const { accessToken } = await connectInstagram(app);
    const longLived = await instagramLongLived(app, accessToken);

    const listing = await listTokens(app, 'instagram');
    assert.deepEqual(
      listing.tokens.map((token) => [token.token, token.kind, token.state]),
      [
        [accessToken, 'short_lived', 'exchanged'],
        [longLived, 'long_lived', 'active'],
      ],
    );
  });
});

describe('control: request log', () => {
  it('records platform calls with their grant type, not control calls, and can be cleared', async () => {
    const app = buildEmulator();
    const tokens = await connectTikTok(app);
    await app.inject(tiktokRefresh(tokens.refresh_token));
    await app.inject({ method: 'GET', url: '/_control/tokens/tiktok' });

    const log = (await app.inject({ method: 'GET', url: '/_control/requests' })).json<{
      requests: Array<{ at: string; platform: string; method: string; path: string; grantType?: string }>;
    }>();
    assert.deepEqual(
      log.requests.map(({ platform, method, path, grantType }) => ({ platform, method, path, grantType })),
      [
        { platform: 'tiktok', method: 'GET', path: '/tiktok/www/v2/auth/authorize/', grantType: undefined },
        { platform: 'tiktok', method: 'POST', path: '/tiktok/www/v2/auth/authorize/', grantType: undefined },
        { platform: 'tiktok', method: 'POST', path: '/tiktok/open/v2/oauth/token/', grantType: 'authorization_code' },
        { platform: 'tiktok', method: 'POST', path: '/tiktok/open/v2/oauth/token/', grantType: 'refresh_token' },
      ],
    );
    assert.ok(!Number.isNaN(Date.parse(log.requests[0]?.at ?? '')));
    assert.equal(log.requests.filter((entry) => entry.grantType === 'refresh_token').length, 1);

    await app.inject({ method: 'DELETE', url: '/_control/requests' });
    const cleared = await app.inject({ method: 'GET', url: '/_control/requests' });
    assert.deepEqual(cleared.json(), { requests: [] });
  });

  it('records the Instagram grant type from the query string', async () => {
    const app = buildEmulator();
    await instagramLongLived(app, (await connectInstagram(app)).accessToken);

    const log = (await app.inject({ method: 'GET', url: '/_control/requests' })).json<{
      requests: Array<{ platform: string; method: string; path: string; grantType?: string }>;
    }>();
    assert.deepEqual(
      log.requests.slice(-2).map(({ platform, method, path, grantType }) => ({ platform, method, path, grantType })),
      [
        { platform: 'instagram', method: 'POST', path: '/instagram/api/oauth/access_token', grantType: 'authorization_code' },
        { platform: 'instagram', method: 'GET', path: '/instagram/graph/access_token', grantType: 'ig_exchange_token' },
      ],
    );
  });
});

describe('control: faults', () => {
  it('fails the next TikTok token call with server_error, then recovers without spending the code', async () => {
    const app = buildEmulator();
    const callback = await submitConsent(app, tiktokAuthorizeUrl());
    const code = callback.searchParams.get('code') ?? '';
    const added = await addFault(app, { platform: 'tiktok', endpoint: 'token', status: 500 });
    assert.equal(added.statusCode, 200);

    const failed = await app.inject(tiktokCodeExchange(code));
    assert.equal(failed.statusCode, 500);
    assert.equal(failed.json<{ error: string }>().error, 'server_error');
    assert.match(failed.json<{ log_id: string }>().log_id, /^\d{14}[0-9A-F]{20}$/);

    assert.equal((await app.inject(tiktokCodeExchange(code))).statusCode, 200);
  });

  it('applies a fault the requested number of times, only to its endpoint', async () => {
    const app = buildEmulator();
    const tokens = await connectTikTok(app);
    await addFault(app, { platform: 'tiktok', endpoint: 'userinfo', status: 429, times: 2 });
    const userInfo = () =>
      app.inject({
        method: 'GET',
        url: '/tiktok/open/v2/user/info/?fields=open_id',
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });

    const first = await userInfo();
    assert.equal(first.statusCode, 429);
    assert.equal(first.json<{ error: { code: string } }>().error.code, 'rate_limit_exceeded');
    assert.equal((await app.inject(tiktokRefresh(tokens.refresh_token))).statusCode, 200);
    assert.equal((await userInfo()).statusCode, 429);
    assert.equal((await userInfo()).statusCode, 200);
  });

  it('uses a custom body when given one, e.g. TikTok\'s 200-with-error quirk', async () => {
    const app = buildEmulator();
    const tokens = await connectTikTok(app);
    const body = { error: 'invalid_grant', error_description: 'Refresh token is invalid or expired.', log_id: 'x' };
    await addFault(app, { platform: 'tiktok', endpoint: 'refresh', status: 200, body });

    const response = await app.inject(tiktokRefresh(tokens.refresh_token));
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), body);
  });

  it('answers Instagram faults in the Graph shape with is_transient', async () => {
    const app = buildEmulator();
    const { accessToken } = await connectInstagram(app);
    await addFault(app, { platform: 'instagram', endpoint: 'me', status: 500 });

    const response = await app.inject({ method: 'GET', url: `/instagram/graph/me?access_token=${accessToken}` });
    assert.equal(response.statusCode, 500);
    const error = response.json<{ error: { code: number; type: string; is_transient: boolean } }>().error;
    assert.ok([1, 2].includes(error.code));
    assert.equal(error.is_transient, true);
  });

  it('rejects endpoints the platform does not have, and clears on DELETE', async () => {
    const app = buildEmulator();
    assert.equal((await addFault(app, { platform: 'instagram', endpoint: 'userinfo', status: 500 })).statusCode, 400);
    assert.equal((await addFault(app, { platform: 'tiktok', endpoint: 'token', status: 42 })).statusCode, 400);

    await addFault(app, { platform: 'tiktok', endpoint: 'token', status: 503, times: 5 });
    await app.inject({ method: 'DELETE', url: '/_control/faults' });
    const callback = await submitConsent(app, tiktokAuthorizeUrl());
    assert.equal((await app.inject(tiktokCodeExchange(callback.searchParams.get('code') ?? ''))).statusCode, 200);
  });
});

describe('control: clock', () => {
  it('moves the emulator clock forward and reports the new time', async () => {
    const app = buildEmulator({ now: () => Date.parse('2026-01-01T00:00:00Z') });
    const response = await app.inject({ method: 'POST', url: '/_control/clock', payload: { advanceSeconds: 90 } });

    assert.deepEqual(response.json(), { now: '2026-01-01T00:01:30.000Z' });
    assert.equal((await app.inject({ method: 'POST', url: '/_control/clock', payload: { advanceSeconds: -5 } })).statusCode, 400);
  });
});

describe('avatars', () => {
  it('serves a 64×64 PNG whose colour depends on the id', async () => {
    const app = buildEmulator();
    const first = await app.inject({ method: 'GET', url: '/avatars/instagram/17841400000000123.png' });
    const second = await app.inject({ method: 'GET', url: '/avatars/instagram/17841400000000125.png' });

    assert.equal(first.statusCode, 200);
    assert.equal(first.headers['content-type'], 'image/png');
    const png = first.rawPayload;
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [64, 64]);
    const pixels = (png: Buffer) => inflateSync(png.subarray(41, 41 + png.readUInt32BE(33))).subarray(1, 4);
    assert.notDeepEqual(pixels(png), pixels(second.rawPayload));

    assert.equal((await app.inject({ method: 'GET', url: '/avatars/myspace/1.png' })).statusCode, 404);
  });
});
