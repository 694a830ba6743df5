import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { classifyInstagramFailure, isInstagramFailure } from '../../src/platforms/instagram/errors.ts';
import { createPlatformAdapter } from '../../src/platforms/oauth-core.ts';
import { instagram } from '../../src/platforms/instagram/index.ts';
import type { PlatformAdapter } from '../../src/platforms/adapter.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { REDIRECT_URI, eligible, expectPlatformError, newCodeVerifier, startTestEmulator } from './emulator-harness.ts';
import type { TestEmulator } from './emulator-harness.ts';

const graph = (code: number, extra: Record<string, unknown> = {}) => ({
  error: { message: 'm', type: 'OAuthException', code, fbtrace_id: 'f', ...extra },
});
const subcode = (code: number, error_subcode: number) => graph(code, { error_subcode });

describe('classifyInstagramFailure', () => {
  const rows: Array<[string, number, unknown, string, string, string | null]> = [
    ['5xx without a body', 502, undefined, 'transient', 'http_502', null],
    ['429', 429, graph(4), 'transient', '4', null],
    ['code 1', 500, graph(1), 'transient', '1', null],
    ['code 2 on 400', 400, graph(2), 'transient', '2', null],
    ['code 4', 400, graph(4), 'transient', '4', null],
    ['code 17', 400, graph(17), 'transient', '17', null],
    ['code 341', 400, graph(341), 'transient', '341', null],
    ['is_transient', 400, graph(100, { is_transient: true }), 'transient', '100', null],
    ['190/458', 400, subcode(190, 458), 'needs_reauth', '190/458', 'token_revoked'],
    ['190/467', 400, subcode(190, 467), 'needs_reauth', '190/467', 'token_revoked'],
    ['190/463', 400, subcode(190, 463), 'needs_reauth', '190/463', 'refresh_expired'],
    ['190/460', 400, subcode(190, 460), 'needs_reauth', '190/460', 'credential_invalid'],
    ['190 without subcode', 400, graph(190), 'needs_reauth', '190', 'credential_invalid'],
    ['190/459 (checkpointed)', 400, subcode(190, 459), 'needs_reauth', '190/459', 'credential_invalid'],
    ['102', 400, graph(102), 'needs_reauth', '102', 'credential_invalid'],
    ['code 10', 403, graph(10), 'needs_reauth', '10', 'scopes_missing'],
    ['code 200', 400, graph(200), 'needs_reauth', '200', 'scopes_missing'],
    ['code 299', 400, graph(299), 'needs_reauth', '299', 'scopes_missing'],
    ['code 100', 400, graph(100), 'other', '100', null],
    ['code 300', 400, graph(300), 'other', '300', null],
    [
      'code-exchange rejection',
      400,
      { error_type: 'OAuthException', code: 400, error_message: 'Matching code was not found or was already used' },
      'other',
      '400',
      null,
    ],
    ['code-exchange 500', 500, { error_type: 'OAuthException', code: 500, error_message: 'x' }, 'transient', '500', null],
    ['a 404 page', 404, undefined, 'other', 'http_404', null],
    ['not ready, 9007/2207027', 400, subcode(9007, 2207027), 'transient', '9007/2207027', null],
    ['9007 without a subcode', 400, graph(9007), 'transient', '9007', null],
    ['download timeout, -2/2207003', 400, subcode(-2, 2207003), 'transient', '-2/2207003', null],
    ['server error, -1/2207001', 400, subcode(-1, 2207001), 'transient', '-1/2207001', null],
    ['expired container, -2/2207020', 400, subcode(-2, 2207020), 'transient', '-2/2207020', null],
    ['daily cap, 9/2207042', 400, subcode(9, 2207042), 'posting_limit', '9/2207042', null],
    ['suspected spam, 4/2207051 (not throttling)', 400, subcode(4, 2207051), 'posting_limit', '4/2207051', null],
    ['image too large, 36000/2207004', 400, subcode(36000, 2207004), 'rejected', '36000/2207004', null],
    ['aspect ratio, 36003/2207009', 400, subcode(36003, 2207009), 'rejected', '36003/2207009', null],
    ['36003 without a subcode', 400, graph(36003), 'rejected', '36003', null],
    ['unsupported video, 2207026', 400, subcode(-1, 2207026), 'rejected', '-1/2207026', null],
    ['container not found, 24/2207008', 400, subcode(24, 2207008), 'other', '24/2207008', null],
  ];
  for (const [name, status, body, kind, platformCode, reauthReason] of rows) {
    it(`${name} → ${kind}${reauthReason ? ` ${reauthReason}` : ''}`, () => {
      assert.equal(isInstagramFailure(status, body), true);
      const verdict = classifyInstagramFailure(status, body);
      assert.deepEqual([verdict.kind, verdict.platformCode, verdict.reauthReason], [kind, platformCode, reauthReason]);
    });
  }

  it('treats a 2xx body without either error shape as success', () => {
    assert.equal(isInstagramFailure(200, { access_token: 'IGAA', expires_in: 1 }), false);
  });
});

describe('Instagram adapter failures against the emulator', () => {
  let emulator: TestEmulator;
  let adapter: PlatformAdapter;
  before(async () => {
    emulator = await startTestEmulator();
    adapter = createPlatformAdapter(instagram, { endpoints: emulator.instagramEndpoints, clock: emulator.clock });
  });
  after(() => emulator.close());

  async function authorizationCode(username: string): Promise<string> {
    const url = adapter.authorizeUrl({ state: 's', redirectUri: REDIRECT_URI, scopes: [...adapter.defaultScopes], codeVerifier: 'v' });
    return (await emulator.consent(url, { username })).searchParams.get('code') ?? '';
  }

  async function connect(username: string): Promise<TokenSet> {
    const code = await authorizationCode(username);
    return adapter.exchangeCode({ code, redirectUri: REDIRECT_URI, codeVerifier: newCodeVerifier(), callbackScopes: null });
  }

  it('needs_reauth from revocations, per subcode, on /me and on refresh', async () => {
    const cases = [
      [undefined, '190/467', 'token_revoked'],
      [458, '190/458', 'token_revoked'],
      [460, '190/460', 'credential_invalid'],
    ] as const;
    for (const [chosen, platformCode, reauthReason] of cases) {
      const username = `ig_revoked_${chosen ?? 'default'}`;
      const tokens = await connect(username);
      await emulator.revokeUser('instagram', username, chosen);
      await expectPlatformError(adapter.fetchProfile(tokens), { kind: 'needs_reauth', platformCode, reauthReason });
      await expectPlatformError(adapter.refresh(tokens), { kind: 'needs_reauth', platformCode, reauthReason });
    }
  });

  it('needs_reauth refresh_expired: 190/463 once the long-lived token expired', async () => {
    const tokens = await connect('ig_expired');
    await emulator.expireAccessTokens('instagram', 'ig_expired');
    await expectPlatformError(adapter.refresh(tokens), { kind: 'needs_reauth', platformCode: '190/463', reauthReason: 'refresh_expired' });
  });

  it('needs_reauth credential_invalid: 190 without subcode for a token Instagram cannot parse, and 102', async () => {
    const tokens = await connect('ig_garbled');
    await expectPlatformError(adapter.fetchProfile({ ...tokens, accessToken: 'IGAAnot-a-token' }), {
      kind: 'needs_reauth',
      platformCode: '190',
      reauthReason: 'credential_invalid',
    });
    await emulator.injectFault({ platform: 'instagram', endpoint: 'me', status: 400, body: graph(102) });
    await expectPlatformError(adapter.fetchProfile(tokens), { kind: 'needs_reauth', platformCode: '102', reauthReason: 'credential_invalid' });
  });

  it('needs_reauth scopes_missing: codes 10 and 200–299', async () => {
    const tokens = await connect('ig_scopes');
    await emulator.injectFault({ platform: 'instagram', endpoint: 'me', status: 403 });
    await expectPlatformError(adapter.fetchProfile(tokens), { kind: 'needs_reauth', platformCode: '10', reauthReason: 'scopes_missing' });
    await emulator.injectFault({ platform: 'instagram', endpoint: 'refresh', status: 400, body: graph(200) });
    await expectPlatformError(adapter.refresh(tokens), { kind: 'needs_reauth', platformCode: '200', reauthReason: 'scopes_missing' });
  });

  it('transient: 5xx, 429, throttling codes and is_transient, on every endpoint', async () => {
    const tokens = await connect('ig_transient');
    for (const code of [1, 2, 4, 17, 341]) {
      await emulator.injectFault({ platform: 'instagram', endpoint: 'me', status: 400, body: graph(code) });
      await expectPlatformError(adapter.fetchProfile(tokens), { kind: 'transient', platformCode: String(code) });
    }
    await emulator.injectFault({ platform: 'instagram', endpoint: 'refresh', status: 400, body: graph(100, { is_transient: true }) });
    await expectPlatformError(adapter.refresh(tokens), { kind: 'transient', platformCode: '100' });
    await emulator.injectFault({ platform: 'instagram', endpoint: 'refresh', status: 503 });
    const unavailable = await expectPlatformError(adapter.refresh(tokens), { kind: 'transient', platformCode: '2' });
    assert.equal(unavailable.httpStatus, 503);
    await emulator.injectFault({ platform: 'instagram', endpoint: 'me', status: 429 });
    await expectPlatformError(adapter.fetchProfile(tokens), { kind: 'transient', platformCode: '4' });
    await emulator.injectFault({ platform: 'instagram', endpoint: 'token', status: 500 });
    await expectPlatformError(connect('ig_transient'), { kind: 'transient', platformCode: '500' });
    await emulator.injectFault({ platform: 'instagram', endpoint: 'exchange', status: 500 });
    await expectPlatformError(connect('ig_transient'), { kind: 'transient', platformCode: '1' });
    // The account's credential was never touched.
    assert.equal(eligible(await adapter.fetchProfile(tokens)).handle, 'ig_transient');
  });

  it('other: a reused code, and refreshing a token younger than 24 h', async () => {
    const code = await authorizationCode('ig_other');
    const exchange = { code, redirectUri: REDIRECT_URI, codeVerifier: 'v', callbackScopes: null };
    const tokens = await adapter.exchangeCode(exchange);
    const reused = await expectPlatformError(adapter.exchangeCode(exchange), { kind: 'other', platformCode: '400' });
    assert.ok(!reused.message.includes(code), reused.message);
    await expectPlatformError(adapter.refresh(tokens), { kind: 'other', platformCode: '100' });
  });

  it('never puts the token or the client secret in the message', async () => {
    const tokens = await connect('ig_echo');
    const echo = `token ${tokens.accessToken} secret ${emulator.instagramEndpoints.clientSecret}`;
    await emulator.injectFault({ platform: 'instagram', endpoint: 'me', status: 400, body: { error: { message: echo, code: 190 } } });
    const error = await expectPlatformError(adapter.fetchProfile(tokens), { kind: 'needs_reauth' });
    // The platform's text is not quoted at all: the classified code and the server's own words.
    assert.equal(error.message, 'Instagram profile failed (HTTP 400): 190');
  });
});
