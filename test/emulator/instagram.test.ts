import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEmulator } from '../../src/emulator/app.ts';
import {
  REDIRECT_URI,
  connectInstagram,
  instagramAuthorizeUrl,
  instagramCodeExchange,
  instagramLongLived,
  submitConsent,
} from './consent-driver.ts';

interface GraphErrorBody {
  error: { message: string; type: string; code: number; error_subcode?: number; fbtrace_id: string };
}

const DAY_SECONDS = 24 * 60 * 60;

async function authorizeCode(app: ReturnType<typeof buildEmulator>, username = 'demo_creator'): Promise<string> {
  const callback = await submitConsent(app, instagramAuthorizeUrl(), { username });
  return callback.searchParams.get('code') ?? '';
}

async function controlUserId(app: ReturnType<typeof buildEmulator>, username: string): Promise<string> {
  const response = await app.inject({ method: 'POST', url: `/_control/users/instagram/${username}`, payload: {} });
  return response.json<{ userId: string }>().userId;
}

function me(app: ReturnType<typeof buildEmulator>, token: string, fields: string, path = '/instagram/graph/v23.0/me') {
  return app.inject({ method: 'GET', url: `${path}?fields=${fields}`, headers: { authorization: `Bearer ${token}` } });
}

function refreshLongLived(app: ReturnType<typeof buildEmulator>, token: string) {
  const query = new URLSearchParams({ grant_type: 'ig_refresh_token', access_token: token });
  return app.inject({ method: 'GET', url: `/instagram/graph/refresh_access_token?${query}` });
}

function assertGraphError(body: GraphErrorBody, code: number, subcode?: number): void {
  assert.equal(body.error.type, 'OAuthException');
  assert.equal(body.error.code, code);
  assert.equal(body.error.error_subcode, subcode);
  assert.ok(body.error.fbtrace_id.length > 0);
}

describe('Instagram code exchange', () => {
  it('answers a flat body whose user_id is a bare JSON number above 2^53, digits exact', async () => {
    const app = buildEmulator();
    const response = await app.inject(instagramCodeExchange(await authorizeCode(app, 'big_id_user')));

    assert.equal(response.statusCode, 200);
    const userId = await controlUserId(app, 'big_id_user');
    assert.ok(BigInt(userId) > 2n ** 53n);
    assert.ok(response.body.includes(`"user_id":${userId}`), response.body);
    // A naive JSON.parse cannot keep these digits, which is the point.
    const parsed = response.json<{ access_token: string; user_id: number; permissions: string[] }>();
    assert.notEqual(String(parsed.user_id), userId);
    assert.match(parsed.access_token, /^IGAA/);
    assert.deepEqual(parsed.permissions, ['instagram_business_basic', 'instagram_business_content_publish']);
  });

  it('accepts the code with the #_ suffix still attached', async () => {
    const app = buildEmulator();
    const response = await app.inject(instagramCodeExchange(`${await authorizeCode(app)}#_`));

    assert.equal(response.statusCode, 200);
  });

  it('accepts a multipart/form-data body, as in the docs\' curl -F example', async () => {
    const app = buildEmulator();
    const form = new FormData();
    const fields = {
      client_id: '990000000000001',
      client_secret: 'emulator-instagram-secret',
      grant_type: 'authorization_code',
      redirect_uri: REDIRECT_URI,
      code: await authorizeCode(app),
    };
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    const encoded = new Request('http://localhost/', { method: 'POST', body: form });

    const response = await app.inject({
      method: 'POST',
      url: '/instagram/api/oauth/access_token',
      headers: { 'content-type': encoded.headers.get('content-type') ?? '' },
      payload: Buffer.from(await encoded.arrayBuffer()),
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.match(response.json<{ access_token: string }>().access_token, /^IGAA/);
  });

  it('refuses a used code with Instagram\'s exact error body', async () => {
    const app = buildEmulator();
    const code = await authorizeCode(app);
    await app.inject(instagramCodeExchange(code));
    const second = await app.inject(instagramCodeExchange(code));

    assert.equal(second.statusCode, 400);
    assert.equal(
      second.body,
      '{"error_type":"OAuthException","code":400,"error_message":"Matching code was not found or was already used"}',
    );
  });

  it('refuses a code after one hour and a mismatched redirect_uri', async () => {
    const clock = { now: Date.parse('2026-03-01T12:00:00Z') };
    const app = buildEmulator({ now: () => clock.now });

    const mismatched = await app.inject(instagramCodeExchange(await authorizeCode(app), { redirect_uri: `${REDIRECT_URI}/` }));
    assert.equal(mismatched.statusCode, 400);
    assert.match(mismatched.json<{ error_message: string }>().error_message, /redirect_uri is identical/);

    const code = await authorizeCode(app);
    clock.now += 3600 * 1000;
    const expired = await app.inject(instagramCodeExchange(code));
    assert.equal(expired.statusCode, 400);
    assert.equal(expired.json<{ error_type: string }>().error_type, 'OAuthException');
  });
});

describe('Instagram long-lived tokens', () => {
  it('exchanges a short-lived token for a 60-day long-lived one (ig_exchange_token)', async () => {
    const app = buildEmulator();
    const { accessToken } = await connectInstagram(app);
    const query = new URLSearchParams({
      grant_type: 'ig_exchange_token',
      client_secret: 'emulator-instagram-secret',
      access_token: accessToken,
    });
    const response = await app.inject({ method: 'GET', url: `/instagram/graph/access_token?${query}` });

    assert.equal(response.statusCode, 200);
    const body = response.json<{ access_token: string; token_type: string; expires_in: number }>();
    assert.deepEqual(Object.keys(body), ['access_token', 'token_type', 'expires_in']);
    assert.notEqual(body.access_token, accessToken);
    assert.match(body.access_token, /^IGAA/);
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.expires_in, 5_184_000);
  });

  it('refuses the exchange with a wrong client secret', async () => {
    const app = buildEmulator();
    const { accessToken } = await connectInstagram(app);
    const query = new URLSearchParams({ grant_type: 'ig_exchange_token', client_secret: 'wrong', access_token: accessToken });
    const response = await app.inject({ method: 'GET', url: `/instagram/graph/access_token?${query}` });

    assert.equal(response.statusCode, 400);
    assert.equal(response.json<GraphErrorBody>().error.type, 'OAuthException');
  });

  it('refuses ig_refresh_token before the token is 24 hours old, accepts it after', async () => {
    const app = buildEmulator();
    const longLived = await instagramLongLived(app, (await connectInstagram(app)).accessToken);

    const early = await refreshLongLived(app, longLived);
    assert.equal(early.statusCode, 400);
    assertGraphError(early.json<GraphErrorBody>(), 100);

    await app.inject({ method: 'POST', url: '/_control/clock', payload: { advanceSeconds: DAY_SECONDS } });
    const refreshed = await refreshLongLived(app, longLived);
    assert.equal(refreshed.statusCode, 200);
    const body = refreshed.json<{ access_token: string; token_type: string; expires_in: number }>();
    assert.notEqual(body.access_token, longLived);
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.expires_in, 5_184_000);
    assert.equal((await me(app, body.access_token, 'username')).statusCode, 200);
  });

  it('cannot refresh an expired long-lived token: 190/463', async () => {
    const app = buildEmulator();
    const longLived = await instagramLongLived(app, (await connectInstagram(app)).accessToken);
    await app.inject({ method: 'POST', url: '/_control/clock', payload: { advanceSeconds: 60 * DAY_SECONDS } });

    const response = await refreshLongLived(app, longLived);
    assert.equal(response.statusCode, 400);
    assertGraphError(response.json<GraphErrorBody>(), 190, 463);
  });
});

describe('Instagram /me', () => {
  it('answers id plus exactly the requested fields, on /me and /v{N}/me, via header or query', async () => {
    const app = buildEmulator({ publicBaseUrl: 'http://emulator.test:8090' });
    const { accessToken } = await connectInstagram(app, 'shop_owner');
    const userId = await controlUserId(app, 'shop_owner');

    const response = await me(app, accessToken, 'user_id,username,name,account_type,profile_picture_url');
    assert.equal(response.statusCode, 200);
    const body = response.json<Record<string, unknown>>();
    assert.deepEqual(Object.keys(body), ['id', 'user_id', 'username', 'name', 'account_type', 'profile_picture_url']);
    assert.equal(typeof body['id'], 'string');
    assert.notEqual(body['id'], userId);
    assert.equal(body['user_id'], userId);
    assert.equal(body['username'], 'shop_owner');
    assert.equal(body['name'], 'Shop Owner');
    assert.equal(body['account_type'], 'BUSINESS');
    assert.equal(body['profile_picture_url'], `http://emulator.test:8090/avatars/instagram/${userId}.png`);

    const bare = await app.inject({ method: 'GET', url: `/instagram/graph/me?fields=username&access_token=${accessToken}` });
    assert.deepEqual(bare.json(), { id: body['id'], username: 'shop_owner' });
  });

  it('reports PERSONAL and MEDIA_CREATOR account types set through the control API', async () => {
    const app = buildEmulator();
    const cases: Array<[string, string]> = [
      ['PERSONAL', 'PERSONAL'],
      ['CREATOR', 'MEDIA_CREATOR'],
    ];
    for (const [accountType, expected] of cases) {
      const username = `${accountType.toLowerCase()}_account`;
      await app.inject({ method: 'POST', url: `/_control/users/instagram/${username}`, payload: { accountType } });
      const { accessToken } = await connectInstagram(app, username);

      const response = await me(app, accessToken, 'account_type');
      assert.equal(response.json<{ account_type: string }>().account_type, expected);
    }
  });

  it('answers 190/463 once the token has expired', async () => {
    const app = buildEmulator();
    const { accessToken } = await connectInstagram(app, 'sleepy');
    await app.inject({ method: 'POST', url: '/_control/users/instagram/sleepy/expire' });

    const response = await me(app, accessToken, 'username');
    assert.equal(response.statusCode, 400);
    assertGraphError(response.json<GraphErrorBody>(), 190, 463);
    assert.match(response.json<GraphErrorBody>().error.message, /Session has expired/);
  });

  it('answers 190/467 after a revoke, or the subcode the revoke chose', async () => {
    const app = buildEmulator();
    const { accessToken } = await connectInstagram(app, 'gone_user');
    const longLived = await instagramLongLived(app, accessToken);
    const revoke = await app.inject({ method: 'POST', url: '/_control/users/instagram/gone_user/revoke' });
    assert.deepEqual(revoke.json(), { revokedTokens: 2 });

    assertGraphError((await me(app, longLived, 'username')).json<GraphErrorBody>(), 190, 467);
    assertGraphError((await refreshLongLived(app, longLived)).json<GraphErrorBody>(), 190, 467);

    const other = await connectInstagram(app, 'changed_password');
    await app.inject({ method: 'POST', url: '/_control/users/instagram/changed_password/revoke', payload: { subcode: 460 } });
    assertGraphError((await me(app, other.accessToken, 'username')).json<GraphErrorBody>(), 190, 460);
  });

  it('answers 190 without a subcode for a token it cannot parse', async () => {
    const app = buildEmulator();
    const response = await me(app, 'IGAAnot-a-token', 'username');

    assert.equal(response.statusCode, 400);
    assertGraphError(response.json<GraphErrorBody>(), 190);
  });
});
