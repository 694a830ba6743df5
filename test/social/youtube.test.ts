import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { consent, followToCallback } from '../support/consent.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import {
  accountRow,
  connectAccount,
  control,
  countAccounts,
  countGrants,
  emulatorRequests,
  expectError,
  expectErrorRedirect,
  health,
  mintConnect,
  newProject,
  oauthStatus,
  RETURN_URL,
  uniqueUser,
} from './helpers.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const READONLY = 'https://www.googleapis.com/auth/youtube.readonly';
const UPLOAD = 'https://www.googleapis.com/auth/youtube.upload';

async function storedTokens(ctx: TestContext, accountId: string): Promise<TokenSet> {
  const tokens = await ctx.vault.get<TokenSet>(ctx.database.db, (await accountRow(ctx, accountId)).vault_entry_id as string);
  assert.ok(tokens);
  return tokens;
}

/**
 * What is particular to YouTube (docs/platforms/youtube.md); everything every platform does (the
 * callback's failures, refresh classification, revoke, concurrency, secrets, the browser round
 * trip) runs on YouTube too through the registry.
 */
for (const engine of engines) {
  describe(`YouTube accounts (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let projectId: string;

    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
      tenant = await ctx.tenant();
      projectId = await newProject(ctx, tenant.secret, 'Video app');
    });
    after(() => ctx.close());

    test('oauth-url → Google consent → callback: the channel becomes the account, with its @handle, title and a copy of its thumbnail', async () => {
      const minted = await mintConnect(ctx, tenant.secret, projectId, 'youtube');
      const authorize = new URL(minted.authorizeUrl);
      assert.equal(authorize.pathname, '/youtube/accounts/o/oauth2/v2/auth');
      assert.equal(authorize.searchParams.get('access_type'), 'offline');
      assert.equal(authorize.searchParams.get('prompt'), 'consent');
      assert.equal(authorize.searchParams.get('include_granted_scopes'), 'true');
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(authorize.searchParams.get('scope'), `${READONLY} ${UPLOAD}`);
      assert.equal(authorize.searchParams.get('redirect_uri'), 'http://127.0.0.1:8080/oauth/callback/youtube');

      const username = uniqueUser('creator.channel');
      const redirect = await consent(minted.authorizeUrl, { username });
      assert.equal(redirect.searchParams.get('scope'), `${READONLY} ${UPLOAD}`);
      const callback = await followToCallback(ctx, redirect);
      assert.equal(callback.statusCode, 302, callback.body);
      assert.equal(callback.headers.location, RETURN_URL);
      const status = await oauthStatus(ctx, tenant.secret, minted.state);
      assert.equal(status.status, 'completed');
      const accountId = status.socialAccountId as string;

      const { userId: channelId } = await control(ctx, 'POST', `/users/youtube/${username}`, {});
      const row = await accountRow(ctx, accountId);
      assert.equal(row.platform, 'youtube');
      assert.equal(row.platform_user_id, channelId);
      assert.match(row.platform_user_id, /^UC[A-Za-z0-9_-]{22}$/);

      const item = (await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/social-accounts`, key: tenant.secret })).json().items.find(
        (account: { socialAccountId: string }) => account.socialAccountId === accountId,
      );
      assert.equal(item.platform, 'youtube');
      assert.equal(item.handle, username);
      assert.equal(item.displayName, username.split(/[._]+/).map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(' '));
      assert.ok(item.avatarUrl.startsWith('http://127.0.0.1:8080/media/med_'), item.avatarUrl);
      const avatar = await ctx.app.inject({ method: 'GET', url: new URL(item.avatarUrl).pathname });
      assert.equal(avatar.statusCode, 200);
      assert.equal(avatar.headers['content-type'], 'image/png');

      const report = await health(ctx, tenant.secret, accountId);
      assert.deepEqual(report.scopes, { granted: [READONLY, UPLOAD], missing: [] });
      assert.equal(report.token.refreshTokenExpiresAt, null);
      assert.equal(report.token.accessTokenExpiresAt, new Date(ctx.clock.now().getTime() + 3599 * 1000).toISOString());
      assert.equal(report.token.nextRefreshAt, new Date(ctx.clock.now().getTime() + 30 * DAY).toISOString());
    });

    test('a Google account without a channel: ACCOUNT_NOT_ELIGIBLE, saying so, and nothing is bound', async () => {
      const username = uniqueUser('no_channel');
      await control(ctx, 'POST', `/users/youtube/${username}`, { accountType: 'NO_CHANNEL' });
      const accounts = await countAccounts(ctx, projectId);
      const minted = await mintConnect(ctx, tenant.secret, projectId, 'youtube');
      expectErrorRedirect(await followToCallback(ctx, await consent(minted.authorizeUrl, { username })), RETURN_URL, 'ACCOUNT_NOT_ELIGIBLE');
      const status = await oauthStatus(ctx, tenant.secret, minted.state);
      assert.equal(status.status, 'failed');
      assert.deepEqual(status.error, {
        code: 'ACCOUNT_NOT_ELIGIBLE',
        message: 'This Google account has no YouTube channel. Create one on YouTube, then connect again.',
      });
      assert.equal(await countAccounts(ctx, projectId), accounts);

      // Once the person creates a channel, the same consent works.
      await control(ctx, 'POST', `/users/youtube/${username}`, { accountType: 'CHANNEL' });
      assert.ok(await connectAccount(ctx, tenant, projectId, 'youtube', username));
    });

    test('unticking the read scope: SCOPES_NOT_GRANTED naming it, and the channel is never asked for', async () => {
      const minted = await mintConnect(ctx, tenant.secret, projectId, 'youtube');
      const redirect = await consent(minted.authorizeUrl, { username: uniqueUser('no_read'), untick: [READONLY] });
      assert.equal(redirect.searchParams.get('scope'), UPLOAD);
      await control(ctx, 'DELETE', '/requests');
      expectErrorRedirect(await followToCallback(ctx, redirect), RETURN_URL, 'SCOPES_NOT_GRANTED');
      const status = await oauthStatus(ctx, tenant.secret, minted.state);
      assert.equal(status.error.code, 'SCOPES_NOT_GRANTED');
      assert.match(status.error.message, /youtube\.readonly/);
      assert.doesNotMatch(status.error.message, /youtube\.upload/);
      const calls = (await emulatorRequests(ctx)).map((request) => `${request.method} ${request.path}`);
      assert.deepEqual(calls, ['POST /youtube/oauth2/token']);
    });

    test('reauth-url answers 400 VALIDATION naming youtube for a connected channel, and mints nothing', async () => {
      const accountId = await connectAccount(ctx, tenant, projectId, 'youtube', uniqueUser('no_reauth'));
      const states = async () => Number((await ctx.database.db.selectFrom('oauth_states').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const before = await states();
      const res = await ctx.call({
        method: 'POST',
        url: `/v1/projects/${projectId}/social/reauth-url`,
        key: tenant.secret,
        body: { socialAccountId: accountId, returnUrl: RETURN_URL },
      });
      expectError(res, 400, 'VALIDATION');
      assert.match(res.json().error.message, /youtube/);
      assert.equal(await states(), before);
    });

    test('an account the person removed in their Google account is revoked cleanly: Google answers invalid_token, the account is disconnected', async () => {
      const username = uniqueUser('gone_upstream');
      const accountId = await connectAccount(ctx, tenant, projectId, 'youtube', username);
      await control(ctx, 'POST', `/users/youtube/${username}/revoke`, {});
      await control(ctx, 'DELETE', '/requests');
      const res = await ctx.call({ method: 'DELETE', url: `/v1/social-accounts/${accountId}`, key: tenant.secret });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().status, 'disconnected');
      const calls = (await emulatorRequests(ctx)).filter((request) => request.platform === 'youtube').map((request) => `${request.method} ${request.path}`);
      assert.deepEqual(calls, ['POST /youtube/oauth2/revoke']);
      assert.equal((await accountRow(ctx, accountId)).vault_entry_id, null);
    });

    test('refresh: nothing in the background while access tokens merely expire; use refreshes on demand; a keep-alive every 30 days keeps the same refresh token alive past six months', async () => {
      const username = uniqueUser('kept_alive');
      const accountId = await connectAccount(ctx, tenant, projectId, 'youtube', username);
      const { refreshToken } = await storedTokens(ctx, accountId);
      const lastRefreshedAt = async () => (await accountRow(ctx, accountId)).last_refreshed_at;

      // Hours pass and the access token expires: the background pass leaves the account alone.
      ctx.clock.advance(5 * HOUR);
      await ctx.tokenRefresh.runOnce();
      assert.equal(await lastRefreshedAt(), null, 'no hourly background refresh');
      assert.equal((await accountRow(ctx, accountId)).status, 'connected');

      // Using the account (a live check) refreshes the expired access token, once.
      const refreshes = await countGrants(ctx, 'youtube', 'refresh_token');
      const checked = await health(ctx, tenant.secret, accountId, true);
      assert.equal(checked.status, 'connected');
      assert.equal(await countGrants(ctx, 'youtube', 'refresh_token'), refreshes + 1);
      assert.equal(checked.token.lastRefreshedAt, ctx.clock.now().toISOString());
      assert.equal(checked.token.nextRefreshAt, new Date(ctx.clock.now().getTime() + 30 * DAY).toISOString());
      assert.equal((await storedTokens(ctx, accountId)).refreshToken, refreshToken, 'Google keeps its refresh token');

      // Seven months without any use: each month the keep-alive, and only it, refreshes the account.
      for (let month = 1; month <= 7; month++) {
        const before = await lastRefreshedAt();
        ctx.clock.advance(29 * DAY);
        await ctx.tokenRefresh.runOnce();
        assert.equal(await lastRefreshedAt(), before, `month ${month}: not due yet`);
        ctx.clock.advance(DAY + MINUTE);
        await ctx.tokenRefresh.runOnce();
        assert.equal(await lastRefreshedAt(), ctx.clock.now().toISOString(), `month ${month}: the keep-alive`);
      }
      const report = await health(ctx, tenant.secret, accountId, true);
      assert.equal(report.status, 'connected');
      assert.equal(report.token.consecutiveFailures, 0);
      assert.equal((await storedTokens(ctx, accountId)).refreshToken, refreshToken);
      const issued = (await control(ctx, 'GET', '/tokens/youtube')).tokens as Array<{ token: string; state: string }>;
      assert.equal(issued.find((token) => token.token === refreshToken)?.state, 'active');
    });
  });
}
