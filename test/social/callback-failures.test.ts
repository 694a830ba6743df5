import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { consent, followToCallback } from '../support/consent.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import {
  accountRow,
  addFault,
  connectAccount,
  control,
  countAccounts,
  countGrants,
  expectErrorRedirect,
  health,
  mintConnect,
  mintReauth,
  MINUTE,
  newProject,
  oauthStatus,
  PLATFORM_LIST,
  PUBLISH_SCOPE,
  RETURN_URL,
  runReauth,
  uniqueUser,
} from './helpers.ts';

/**
 * The callback's failure paths (docs/reference/social-accounts.md, "The callback"): every one ends in a 302 to
 * `returnUrl?layers_oauth_error=<CODE>` with oauth-status `failed`, binds nothing, and leaves a
 * reauthed account exactly as it was. No usable state → an HTML page, never a redirect.
 */
for (const engine of engines) {
  for (const platform of PLATFORM_LIST) {
    describe(`callback failures on ${platform} (${engine})`, () => {
      let ctx: TestContext;
      let tenant: Tenant;
      let projectId: string;

      const exchanges = () => countGrants(ctx, platform, 'authorization_code');
      const vaultTokens = async (accountId: string) => {
        const row = await accountRow(ctx, accountId);
        assert.ok(row.vault_entry_id);
        return ctx.vault.get<TokenSet>(ctx.database.db, row.vault_entry_id);
      };
      const expectFailed = async (state: string, code: string) => {
        const status = await oauthStatus(ctx, tenant.secret, state);
        assert.equal(status.status, 'failed');
        assert.equal(status.error?.code, code);
        assert.equal(typeof status.error?.message, 'string');
        assert.ok(status.error.message.length > 0);
        assert.equal(status.completedAt, null);
        return status;
      };
      const expectErrorPage = (res: LightMyRequestResponse) => {
        assert.equal(res.statusCode, 400, res.body);
        assert.match(String(res.headers['content-type']), /^text\/html/);
        assert.equal(res.headers.location, undefined, 'not a redirect');
        assert.match(res.body, /Sign-in could not be completed/);
      };
      /** Snapshot of what a failed reauth must not touch. */
      const snapshot = async (accountId: string) => ({ row: await accountRow(ctx, accountId), tokens: await vaultTokens(accountId) });

      before(async () => {
        ctx = await createTestContext(engine, { emulator: true });
        tenant = await ctx.tenant();
        projectId = await newProject(ctx, tenant.secret);
      });
      after(() => ctx.close());

      test('USER_DENIED: the person presses Deny (connect and reauth)', async () => {
        const accounts = await countAccounts(ctx, projectId);
        const exchanged = await exchanges();
        const minted = await mintConnect(ctx, tenant.secret, projectId, platform);
        const redirect = await consent(minted.authorizeUrl, { decision: 'deny' });
        assert.equal(redirect.searchParams.get('error'), 'access_denied');
        expectErrorRedirect(await followToCallback(ctx, redirect), RETURN_URL, 'USER_DENIED');
        await expectFailed(minted.state, 'USER_DENIED');
        assert.equal(await countAccounts(ctx, projectId), accounts, 'nothing bound');
        assert.equal(await exchanges(), exchanged, 'no code exchanged');

        const accountId = await connectAccount(ctx, tenant, projectId, platform, uniqueUser('denier'));
        const before = await snapshot(accountId);
        const reauth = await runReauth(ctx, tenant.secret, projectId, accountId, { decision: 'deny' });
        expectErrorRedirect(reauth.callback, RETURN_URL, 'USER_DENIED');
        const status = await expectFailed(reauth.state, 'USER_DENIED');
        assert.equal(status.kind, 'reauth');
        assert.equal(status.socialAccountId, accountId);
        assert.deepEqual(await snapshot(accountId), before);
      });

      test('STATE_EXPIRED: consent finished after the 10-minute state lifetime; oauth-status says expired before the callback', async () => {
        const accounts = await countAccounts(ctx, projectId);
        const minted = await mintConnect(ctx, tenant.secret, projectId, platform);
        const redirect = await consent(minted.authorizeUrl, { username: uniqueUser('slowpoke') });
        ctx.clock.advance(10 * MINUTE - 1000);
        assert.equal((await oauthStatus(ctx, tenant.secret, minted.state)).status, 'pending', 'one second to go');
        ctx.clock.advance(2000);
        const expired = await oauthStatus(ctx, tenant.secret, minted.state);
        assert.equal(expired.status, 'expired');
        assert.equal(expired.error, null);
        const exchanged = await exchanges();

        expectErrorRedirect(await followToCallback(ctx, redirect), RETURN_URL, 'STATE_EXPIRED');
        await expectFailed(minted.state, 'STATE_EXPIRED');
        assert.equal(await countAccounts(ctx, projectId), accounts);
        assert.equal(await exchanges(), exchanged, 'an expired state never reaches the platform');
      });

      test('ACCOUNT_MISMATCH: a reauth signed in as someone else binds nothing; status, vault tokens and updated_at are untouched', async () => {
        const owner = uniqueUser('owner');
        const accountId = await connectAccount(ctx, tenant, projectId, platform, owner);
        // Make it need reauth first, so "keeps its status" means something.
        await control(ctx, 'POST', `/users/${platform}/${owner}/revoke`, {});
        assert.equal((await health(ctx, tenant.secret, accountId, true)).status, 'reauth_required');
        const before = await snapshot(accountId);
        const accounts = await countAccounts(ctx, projectId);
        ctx.clock.advance(MINUTE);

        const intruder = uniqueUser('intruder');
        const { callback, state } = await runReauth(ctx, tenant.secret, projectId, accountId, { username: intruder });
        expectErrorRedirect(callback, RETURN_URL, 'ACCOUNT_MISMATCH');
        const status = await expectFailed(state, 'ACCOUNT_MISMATCH');
        assert.equal(status.socialAccountId, accountId);
        const after = await snapshot(accountId);
        assert.deepEqual(after, before, 'row (status, reason, updated_at…) and vault tokens unchanged');
        assert.equal(after.row.status, 'reauth_required');
        assert.equal(await countAccounts(ctx, projectId), accounts, 'the intruder got no account either');

        // The right person can still reconnect it.
        const retry = await runReauth(ctx, tenant.secret, projectId, accountId, { username: owner });
        assert.equal(retry.callback.headers.location, RETURN_URL);
        assert.equal((await accountRow(ctx, accountId)).status, 'connected');
      });

      test('SCOPES_NOT_GRANTED: the person unticks the publishing scope (connect and reauth)', async () => {
        const accounts = await countAccounts(ctx, projectId);
        const minted = await mintConnect(ctx, tenant.secret, projectId, platform);
        const redirect = await consent(minted.authorizeUrl, { username: uniqueUser('stingy'), untick: [PUBLISH_SCOPE[platform]] });
        expectErrorRedirect(await followToCallback(ctx, redirect), RETURN_URL, 'SCOPES_NOT_GRANTED');
        const status = await expectFailed(minted.state, 'SCOPES_NOT_GRANTED');
        assert.match(status.error.message, new RegExp(PUBLISH_SCOPE[platform]));
        assert.equal(await countAccounts(ctx, projectId), accounts);

        const user = uniqueUser('stingy_re');
        const accountId = await connectAccount(ctx, tenant, projectId, platform, user);
        const before = await snapshot(accountId);
        const reauth = await runReauth(ctx, tenant.secret, projectId, accountId, { username: user, untick: [PUBLISH_SCOPE[platform]] });
        expectErrorRedirect(reauth.callback, RETURN_URL, 'SCOPES_NOT_GRANTED');
        await expectFailed(reauth.state, 'SCOPES_NOT_GRANTED');
        assert.deepEqual(await snapshot(accountId), before);
      });

      if (platform === 'tiktok') {
        test('a scope publishing does not need may be unticked: the account connects and health reports no missing scope', async () => {
          const minted = await mintConnect(ctx, tenant.secret, projectId, platform);
          const res = await followToCallback(ctx, await consent(minted.authorizeUrl, { username: uniqueUser('partial'), untick: ['video.upload'] }));
          assert.equal(res.headers.location, RETURN_URL);
          const { socialAccountId } = await oauthStatus(ctx, tenant.secret, minted.state);
          const report = await health(ctx, tenant.secret, socialAccountId);
          assert.ok(!report.scopes.granted.includes('video.upload'));
          assert.ok(report.scopes.granted.includes('video.publish'));
          assert.deepEqual(report.scopes.missing, []);
        });
      }

      if (platform === 'instagram') {
        test('ACCOUNT_NOT_ELIGIBLE: an Instagram personal account (connect and reauth); a creator account is fine', async () => {
          const accounts = await countAccounts(ctx, projectId);
          const personal = uniqueUser('personal');
          await control(ctx, 'POST', `/users/instagram/${personal}`, { accountType: 'PERSONAL' });
          const minted = await mintConnect(ctx, tenant.secret, projectId, platform);
          expectErrorRedirect(await followToCallback(ctx, await consent(minted.authorizeUrl, { username: personal })), RETURN_URL, 'ACCOUNT_NOT_ELIGIBLE');
          await expectFailed(minted.state, 'ACCOUNT_NOT_ELIGIBLE');
          assert.equal(await countAccounts(ctx, projectId), accounts);

          const creator = uniqueUser('creator');
          await control(ctx, 'POST', `/users/instagram/${creator}`, { accountType: 'CREATOR' });
          const accountId = await connectAccount(ctx, tenant, projectId, platform, creator);
          const before = await snapshot(accountId);
          await control(ctx, 'POST', `/users/instagram/${creator}`, { accountType: 'PERSONAL' });
          const reauth = await runReauth(ctx, tenant.secret, projectId, accountId, { username: creator });
          expectErrorRedirect(reauth.callback, RETURN_URL, 'ACCOUNT_NOT_ELIGIBLE');
          await expectFailed(reauth.state, 'ACCOUNT_NOT_ELIGIBLE');
          assert.deepEqual(await snapshot(accountId), before);
        });
      }

      test('PLATFORM_ERROR: the token endpoint fails (500, then a 400 with a body); the profile call fails', async () => {
        const accounts = await countAccounts(ctx, projectId);
        const profileEndpoint = platform === 'tiktok' ? 'userinfo' : 'me';
        const faults = [
          { endpoint: 'token', status: 500 },
          { endpoint: 'token', status: 400, body: { error: 'invalid_request', error_description: 'nope', error_type: 'OAuthException', code: 400 } },
          { endpoint: profileEndpoint, status: 500 },
        ];
        for (const fault of faults) {
          await addFault(ctx, { platform, ...fault });
          const minted = await mintConnect(ctx, tenant.secret, projectId, platform);
          const redirect = await consent(minted.authorizeUrl, { username: uniqueUser('unlucky') });
          const res = await followToCallback(ctx, redirect);
          expectErrorRedirect(res, RETURN_URL, 'PLATFORM_ERROR');
          await expectFailed(minted.state, 'PLATFORM_ERROR');
          // The state is spent: delivering the same redirect again repeats the outcome without a new exchange.
          const exchanged = await exchanges();
          expectErrorRedirect(await followToCallback(ctx, redirect), RETURN_URL, 'PLATFORM_ERROR');
          assert.equal(await exchanges(), exchanged);
        }
        await control(ctx, 'DELETE', '/faults');
        assert.equal(await countAccounts(ctx, projectId), accounts);
      });

      test('a reauth whose account was revoked while consent was pending binds nothing (the account stays disconnected)', async () => {
        const user = uniqueUser('vanishing');
        const accountId = await connectAccount(ctx, tenant, projectId, platform, user);
        const minted = await mintReauth(ctx, tenant.secret, projectId, accountId);
        assert.equal((await ctx.call({ method: 'DELETE', url: `/v1/social-accounts/${accountId}`, key: tenant.secret })).statusCode, 200);
        const before = await accountRow(ctx, accountId);
        const res = await followToCallback(ctx, await consent(minted.authorizeUrl, { username: user }));
        assert.equal(res.statusCode, 302);
        assert.ok(new URL(String(res.headers.location)).searchParams.has('layers_oauth_error'), String(res.headers.location));
        assert.equal((await oauthStatus(ctx, tenant.secret, minted.state)).status, 'failed');
        const after = await accountRow(ctx, accountId);
        assert.deepEqual(after, before);
        assert.equal(after.status, 'disconnected');
        assert.equal(after.vault_entry_id, null);
      });

      test('an unknown, tampered, missing or malformed state gets a 400 HTML page, not a redirect', async () => {
        const minted = await mintConnect(ctx, tenant.secret, projectId, platform);
        const redirect = await consent(minted.authorizeUrl, { username: uniqueUser('tamper') });
        const code = redirect.searchParams.get('code') ?? '';
        const last = minted.state.slice(-1);
        const tampered = minted.state.slice(0, -1) + (last === 'A' ? 'B' : 'A');
        const otherPlatform = platform === 'tiktok' ? 'instagram' : 'tiktok';
        const attempts = [
          `/oauth/callback/${platform}?${new URLSearchParams({ code, state: tampered })}`,
          `/oauth/callback/${platform}?${new URLSearchParams({ code, state: 'st_01J0000000000000000000000Z' })}`,
          `/oauth/callback/${platform}?${new URLSearchParams({ code })}`,
          `/oauth/callback/${platform}?${new URLSearchParams({ code, state: minted.state.toLowerCase() })}`,
          `/oauth/callback/${platform}?${new URLSearchParams({ code, state: `${minted.state}x` })}`,
          `/oauth/callback/${platform}?${new URLSearchParams({ error: 'access_denied', state: tampered })}`,
          `/oauth/callback/${otherPlatform}?${new URLSearchParams({ code, state: minted.state })}`,
          `/oauth/callback/youtube?${new URLSearchParams({ code, state: minted.state })}`,
        ];
        const exchanged = await exchanges();
        for (const attempt of attempts) expectErrorPage(await ctx.app.inject({ method: 'GET', url: attempt }));
        assert.equal(await exchanges(), exchanged);
        // None of that touched the real state: it still completes.
        assert.equal((await oauthStatus(ctx, tenant.secret, minted.state)).status, 'pending');
        const res = await followToCallback(ctx, redirect);
        assert.equal(res.headers.location, RETURN_URL);
      });

      test('a replayed callback for a completed state redirects to returnUrl again and binds nothing new', async () => {
        const minted = await mintConnect(ctx, tenant.secret, projectId, platform);
        const redirect = await consent(minted.authorizeUrl, { username: uniqueUser('replayer') });
        const first = await followToCallback(ctx, redirect);
        assert.equal(first.statusCode, 302);
        assert.equal(first.headers.location, RETURN_URL);
        const completed = await oauthStatus(ctx, tenant.secret, minted.state);
        const accountId = completed.socialAccountId as string;
        const before = await snapshot(accountId);
        const accounts = await countAccounts(ctx, projectId);
        const exchanged = await exchanges();
        ctx.clock.advance(MINUTE);

        for (let i = 0; i < 3; i++) {
          const replay = await followToCallback(ctx, redirect);
          assert.equal(replay.statusCode, 302);
          assert.equal(replay.headers.location, RETURN_URL, 'no added parameters');
        }
        assert.equal(await exchanges(), exchanged, 'the code is not exchanged again');
        assert.equal(await countAccounts(ctx, projectId), accounts);
        assert.deepEqual(await snapshot(accountId), before);
        assert.deepEqual(await oauthStatus(ctx, tenant.secret, minted.state), completed);
      });

      test('a returnUrl with its own query keeps it byte for byte: layers_oauth_error is appended on failure, nothing is added on success', async () => {
        const cases = [
          ['https://app.example.com/settings/social?tab=accounts&from=onboarding', 'https://app.example.com/settings/social?tab=accounts&from=onboarding&layers_oauth_error=USER_DENIED'],
          ['https://app.example.com/back?next=/settings/social&sig=a~b,c', 'https://app.example.com/back?next=/settings/social&sig=a~b,c&layers_oauth_error=USER_DENIED'],
          ['https://app.example.com/back?q=a%20b&flag', 'https://app.example.com/back?q=a%20b&flag&layers_oauth_error=USER_DENIED'],
          ['https://app.example.com/back?x=1#done', 'https://app.example.com/back?x=1&layers_oauth_error=USER_DENIED#done'],
          ['https://app.example.com/back', 'https://app.example.com/back?layers_oauth_error=USER_DENIED'],
        ] as const;
        for (const [returnUrl, expected] of cases) {
          const denied = await mintConnect(ctx, tenant.secret, projectId, platform, returnUrl);
          const res = await followToCallback(ctx, await consent(denied.authorizeUrl, { decision: 'deny' }));
          assert.equal(res.statusCode, 302);
          assert.equal(res.headers.location, expected);

          const ok = await mintConnect(ctx, tenant.secret, projectId, platform, returnUrl);
          const success = await followToCallback(ctx, await consent(ok.authorizeUrl, { username: uniqueUser('query') }));
          assert.equal(success.statusCode, 302);
          assert.equal(success.headers.location, returnUrl);
        }
      });
    });
  }
}
