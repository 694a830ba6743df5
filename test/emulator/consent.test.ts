import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEmulator } from '../../src/emulator/app.ts';
import {
  REDIRECT_URI,
  connectTikTok,
  formPost,
  instagramAuthorizeUrl,
  instagramCodeExchange,
  parseConsentForm,
  submitConsent,
  tiktokAuthorizeUrl,
} from './consent-driver.ts';

describe('consent page', () => {
  it('shows a form with the username, one ticked checkbox per scope, the query as hidden inputs and two buttons', async () => {
    const app = buildEmulator();
    const response = await app.inject({
      method: 'GET',
      url: tiktokAuthorizeUrl({ scope: 'user.info.basic,video.publish,video.list', code_challenge: 'abc', code_challenge_method: 'S256' }),
    });

    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.match(response.body, /<title>TikTok \(emulator\)<\/title>/);
    const form = parseConsentForm(response.body);
    assert.equal(form.method, 'post');
    assert.equal(form.action, '/tiktok/www/v2/auth/authorize/');
    const username = form.controls.find((control) => control.name === 'username');
    assert.deepEqual([username?.type, username?.value], ['text', 'demo_creator']);
    const scopes = form.controls.filter((control) => control.name === 'scope');
    assert.deepEqual(
      scopes.map((control) => [control.type, control.value, control.checked]),
      [
        ['checkbox', 'user.info.basic', true],
        ['checkbox', 'video.publish', true],
        ['checkbox', 'video.list', true],
      ],
    );
    const hidden = Object.fromEntries(
      form.controls.filter((control) => control.type === 'hidden').map((control) => [control.name, control.value]),
    );
    assert.deepEqual(hidden, {
      client_key: 'emulator-tiktok-key',
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      state: 'tt-state',
      code_challenge: 'abc',
      code_challenge_method: 'S256',
    });
    assert.deepEqual(form.buttons, [
      { name: 'decision', value: 'approve', text: 'Authorize' },
      { name: 'decision', value: 'deny', text: 'Deny' },
    ]);
  });

  it('escapes every echoed value', async () => {
    const app = buildEmulator();
    const response = await app.inject({ method: 'GET', url: tiktokAuthorizeUrl({ state: '"><script>alert(1)</script>' }) });

    assert.equal(response.statusCode, 200);
    assert.doesNotMatch(response.body, /<script>/);
    assert.match(response.body, /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
  });

  it('serves the Instagram page on both www and api hosts, with space-separated scopes', async () => {
    const app = buildEmulator();
    for (const host of ['www', 'api'] as const) {
      const response = await app.inject({
        method: 'GET',
        url: instagramAuthorizeUrl({ scope: 'instagram_business_basic instagram_business_content_publish' }, host),
      });
      assert.equal(response.statusCode, 200);
      assert.match(response.body, /<title>Instagram \(emulator\)<\/title>/);
      const scopes = parseConsentForm(response.body).controls.filter((control) => control.name === 'scope');
      assert.deepEqual(
        scopes.map((control) => control.value),
        ['instagram_business_basic', 'instagram_business_content_publish'],
      );
    }
  });

  const invalidTikTokQueries: Array<[string, Record<string, string>]> = [
    ['missing client_key', { client_key: '' }],
    ['unknown client_key', { client_key: 'someone-else' }],
    ['missing redirect_uri', { redirect_uri: '' }],
    ['response_type other than code', { response_type: 'token' }],
    ['code_challenge_method plain', { code_challenge: 'abc', code_challenge_method: 'plain' }],
  ];
  for (const [problem, params] of invalidTikTokQueries) {
    it(`refuses a TikTok authorize request with ${problem} with a 400 page and no redirect`, async () => {
      const app = buildEmulator();
      const response = await app.inject({ method: 'GET', url: tiktokAuthorizeUrl(params) });

      assert.equal(response.statusCode, 400);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.equal(response.headers.location, undefined);
      assert.match(response.body, /correct the following and try again/);
    });
  }

  it('refuses an Instagram authorize request for an unknown app', async () => {
    const app = buildEmulator();
    const response = await app.inject({ method: 'GET', url: instagramAuthorizeUrl({ client_id: '123' }) });

    assert.equal(response.statusCode, 400);
    assert.equal(response.headers.location, undefined);
    assert.match(response.body, /Invalid platform app/);
  });

  it('never redirects a submitted form whose redirect_uri is invalid', async () => {
    const app = buildEmulator();
    const response = await app.inject(
      formPost('/tiktok/www/v2/auth/authorize/', {
        client_key: 'emulator-tiktok-key',
        response_type: 'code',
        redirect_uri: 'javascript:alert(1)',
        username: 'demo_creator',
        decision: 'approve',
      }),
    );

    assert.equal(response.statusCode, 400);
    assert.equal(response.headers.location, undefined);
  });
});

describe('consent decisions', () => {
  it('TikTok approve redirects with code, the ticked scopes and state', async () => {
    const app = buildEmulator();
    const callback = await submitConsent(
      app,
      tiktokAuthorizeUrl({ scope: 'user.info.basic,user.info.profile,video.publish' }),
      { untick: ['video.publish'] },
    );

    assert.equal(`${callback.origin}${callback.pathname}`, REDIRECT_URI);
    assert.ok((callback.searchParams.get('code') ?? '').length > 20);
    assert.equal(callback.searchParams.get('scopes'), 'user.info.basic,user.info.profile');
    assert.equal(callback.searchParams.get('state'), 'tt-state');
  });

  it('TikTok authorize also works without the trailing slash', async () => {
    const app = buildEmulator();
    const callback = await submitConsent(app, tiktokAuthorizeUrl().replace('/authorize/?', '/authorize?'));

    assert.ok(callback.searchParams.get('code'));
  });

  it('TikTok deny redirects with access_denied and state, without a code', async () => {
    const app = buildEmulator();
    const callback = await submitConsent(app, tiktokAuthorizeUrl(), { decision: 'deny' });

    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.ok(callback.searchParams.get('error_description'));
    assert.equal(callback.searchParams.get('state'), 'tt-state');
    assert.equal(callback.searchParams.get('code'), null);
  });

  it('Instagram approve redirects with code and state followed by #_', async () => {
    const app = buildEmulator();
    for (const host of ['www', 'api'] as const) {
      const callback = await submitConsent(app, instagramAuthorizeUrl({}, host));

      assert.equal(callback.hash, '#_');
      assert.ok((callback.searchParams.get('code') ?? '').length > 20);
      assert.equal(callback.searchParams.get('state'), 'ig-state');
      assert.ok(callback.href.endsWith('#_'));
    }
  });

  it('Instagram deny redirects with the documented error parameters', async () => {
    const app = buildEmulator();
    const callback = await submitConsent(app, instagramAuthorizeUrl(), { decision: 'deny' });

    assert.match(
      callback.search,
      /error=access_denied&error_reason=user_denied&error_description=The\+user\+denied\+your\+request&state=ig-state/,
    );
  });

  it('maps the same username to the same user id, in any case and in any emulator', async () => {
    const first = buildEmulator();
    const second = buildEmulator();

    const a = await connectTikTok(first, 'Alice');
    const b = await connectTikTok(first, 'alice');
    const c = await connectTikTok(second, 'alice');
    const other = await connectTikTok(first, 'bob');

    assert.equal(a.open_id, b.open_id);
    assert.equal(a.open_id, c.open_id);
    assert.notEqual(a.open_id, other.open_id);
    const control = await first.inject({ method: 'POST', url: '/_control/users/tiktok/alice', payload: {} });
    assert.equal(control.json<{ userId: string }>().userId, a.open_id);
  });

  it('creates unknown users as BUSINESS accounts on first consent', async () => {
    const app = buildEmulator();
    const callback = await submitConsent(app, instagramAuthorizeUrl(), { username: 'fresh_face' });
    const exchange = await app.inject(instagramCodeExchange(callback.searchParams.get('code') ?? ''));
    const token = exchange.json<{ access_token: string }>().access_token;

    const me = await app.inject({ method: 'GET', url: `/instagram/graph/me?fields=account_type&access_token=${token}` });
    assert.equal(me.json<{ account_type: string }>().account_type, 'BUSINESS');
  });
});
