import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildPlatformAdapters } from '../../src/platforms/adapters.ts';
import { PLATFORMS, platformModule } from '../../src/platforms/registry.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { createTokenRefresher } from '../../src/social/token-refresh.ts';
import { engines } from '../support/engines.ts';
import { PLATFORM_KITS } from '../support/platform-kits.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import {
  accountRow,
  addFault,
  connectAccount,
  control,
  countGrants,
  expectError,
  health,
  newProject,
  RETURN_URL,
  runReauth,
  uniqueUser,
} from './helpers.ts';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/**
 * Refresh failures are classified before the status is touched (docs/behaviour.md, "Platform failures"): only a definite
 * rejection of the credential asks the person to reconnect; anything transient is counted,
 * reported in health, and retried later with backoff.
 */
for (const engine of engines) {
  for (const platform of PLATFORMS) {
    const kit = PLATFORM_KITS[platform];
    const { oauth } = platformModule(platform);
    describe(`refresh classification on ${platform} (${engine})`, () => {
      let ctx: TestContext;
      let tenant: Tenant;
      let projectId: string;

      const listed = async (accountId: string) => {
        const res = await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/social-accounts`, key: tenant.secret });
        const item = (res.json().items as Array<Record<string, any>>).find((a) => a.socialAccountId === accountId);
        assert.ok(item);
        return item;
      };
      /** A connected account whose token may be refreshed right now. */
      const refreshable = async (prefix: string) => {
        const username = uniqueUser(prefix);
        const accountId = await connectAccount(ctx, tenant, projectId, platform, username);
        ctx.clock.advance(kit.refreshableAfterMs);
        return { username, accountId };
      };

      before(async () => {
        ctx = await createTestContext(engine, { emulator: true });
        tenant = await ctx.tenant();
        projectId = await newProject(ctx, tenant.secret);
      });
      after(() => ctx.close());

      test('a 500 and then a 429 on refresh leave the account connected, count failures, record lastError and schedule a retry with backoff', async () => {
        const { accountId } = await refreshable('transient');
        const delays: number[] = [];
        for (const [round, status] of ([500, 429] as const).entries()) {
          await addFault(ctx, { platform, endpoint: 'refresh', status });
          const outcome = await ctx.refresher.refresh(accountId, { force: true });
          assert.equal(outcome.result, 'failed');
          const report = await health(ctx, tenant.secret, accountId);
          assert.equal(report.status, 'connected');
          assert.equal(report.needsReauth, false);
          assert.equal(report.reauthReason, null);
          assert.equal(report.token.consecutiveFailures, round + 1);
          assert.equal(report.token.lastError.code, kit.transientRefreshCodes[status]);
          assert.equal(report.token.lastError.at, ctx.clock.now().toISOString());
          assert.ok(report.token.lastError.message.length > 0);
          const delay = Date.parse(report.token.nextRefreshAt) - ctx.clock.now().getTime();
          assert.ok(delay > 0 && delay <= HOUR, `retry scheduled soon, got ${delay} ms`);
          delays.push(delay);
          const item = await listed(accountId);
          assert.equal(item.status, 'connected');
          assert.equal(item.reauthRequiredAt, null);
        }
        assert.ok((delays[1] as number) > (delays[0] as number), `backoff grows: ${delays.join(', ')}`);
        assert.equal((await accountRow(ctx, accountId)).refresh_lease_until, null);

        // The retry heals it, and health says so.
        const healed = await ctx.refresher.refresh(accountId, { force: true });
        assert.equal(healed.result, 'refreshed');
        const report = await health(ctx, tenant.secret, accountId);
        assert.equal(report.token.consecutiveFailures, 0);
        assert.equal(report.token.lastError, null);
        assert.equal(report.token.lastRefreshedAt, ctx.clock.now().toISOString());
        assert.ok(Date.parse(report.token.nextRefreshAt) > ctx.clock.now().getTime());
      });

      test('a live check whose profile call fails with a 5xx answers 502 PLATFORM_ERROR and leaves the account connected', async () => {
        const { accountId } = await refreshable('live_5xx');
        await addFault(ctx, { platform, endpoint: kit.profileEndpoint, status: 503 });
        const res = await ctx.call({ method: 'GET', url: `/v1/social-accounts/${accountId}/health?check=live`, key: tenant.secret });
        const details = expectError(res, 502, 'PLATFORM_ERROR');
        assert.equal(details['platform'], platform);
        assert.equal(typeof details['platformCode'], 'string');
        const report = await health(ctx, tenant.secret, accountId);
        assert.equal(report.status, 'connected');
        assert.equal(report.token.consecutiveFailures, 1);
        await control(ctx, 'DELETE', '/faults');
        assert.equal((await health(ctx, tenant.secret, accountId, true)).status, 'connected');
      });

      if (oauth.refresh.kind === 'grant') {
        test('a revoked grant: the refresh answers invalid_grant → reauth_required with reason token_revoked', async () => {
          const { username, accountId } = await refreshable('revoked');
          await control(ctx, 'POST', `/users/${platform}/${username}/revoke`, {});
          const outcome = await ctx.refresher.refresh(accountId, { force: true });
          assert.equal(outcome.result, 'reauth_required');
          const report = await health(ctx, tenant.secret, accountId);
          assert.equal(report.status, 'reauth_required');
          assert.equal(report.needsReauth, true);
          assert.equal(report.reauthReason, 'token_revoked');
          assert.equal(report.token.lastError.code, 'invalid_grant');
          assert.equal(report.token.nextRefreshAt, null, 'nothing left to retry');
          const item = await listed(accountId);
          assert.equal(item.status, 'reauth_required');
          assert.equal(item.reauthReason, 'token_revoked');
          assert.equal(item.reauthRequiredAt, ctx.clock.now().toISOString());
          // Further refreshes do not call the platform again.
          const grants = await countGrants(ctx, platform, kit.refreshGrant);
          assert.equal((await ctx.refresher.refresh(accountId, { force: true })).result, 'reauth_required');
          assert.equal(await countGrants(ctx, platform, kit.refreshGrant), grants);
        });
      }

      if (platform === 'tiktok') {
        test('a TikTok refresh token past its expiry → reauth_required with reason refresh_expired', async () => {
          const { accountId } = await refreshable('tt_expired');
          const row = await accountRow(ctx, accountId);
          ctx.clock.advance(Date.parse(row.refresh_token_expires_at as string) - ctx.clock.now().getTime() + DAY);
          const outcome = await ctx.refresher.refresh(accountId);
          assert.equal(outcome.result, 'reauth_required');
          const report = await health(ctx, tenant.secret, accountId);
          assert.equal(report.status, 'reauth_required');
          assert.equal(report.reauthReason, 'refresh_expired');
        });
      }

      if (oauth.refreshMendsRejectedAccessToken) {
        test('an access token that died early is mended by one refresh during a live check (no reauth)', async () => {
          const { username, accountId } = await refreshable('early');
          await control(ctx, 'POST', `/users/${platform}/${username}/expire`);
          const grants = await countGrants(ctx, platform, kit.refreshGrant);
          const report = await health(ctx, tenant.secret, accountId, true);
          assert.equal(report.status, 'connected');
          assert.equal(report.needsReauth, false);
          assert.equal(await countGrants(ctx, platform, kit.refreshGrant), grants + 1);
        });

        test('an access token that died early while the refresh endpoint is down: the live check answers 502 and the account stays connected', async () => {
          const { username, accountId } = await refreshable('early_5xx');
          await control(ctx, 'POST', `/users/${platform}/${username}/expire`);
          await addFault(ctx, { platform, endpoint: 'refresh', status: 503 });
          const res = await ctx.call({ method: 'GET', url: `/v1/social-accounts/${accountId}/health?check=live`, key: tenant.secret });
          const details = expectError(res, 502, 'PLATFORM_ERROR');
          assert.equal(details['platform'], platform);
          const report = await health(ctx, tenant.secret, accountId);
          assert.equal(report.status, 'connected', 'a transient refresh failure is no reason to ask for a reconnect');
          assert.equal(report.needsReauth, false);
          assert.equal(report.token.consecutiveFailures, 1);
          assert.ok(Date.parse(report.token.nextRefreshAt) > ctx.clock.now().getTime(), 'a retry is scheduled');
          // Once the platform is back, the next live check mends it.
          assert.equal((await health(ctx, tenant.secret, accountId, true)).status, 'connected');
        });
      }

      if (platform === 'tiktok') {
        /** A refresher whose refresh call waits at the gate until the test opens it. */
        const gatedRefresher = () => {
          let open!: () => void;
          let arrived!: () => void;
          const gate = new Promise<void>((resolve) => (open = resolve));
          const reached = new Promise<void>((resolve) => (arrived = resolve));
          const gatedFetch: typeof fetch = async (input, init) => {
            if (init?.body instanceof URLSearchParams && init.body.get('grant_type') === 'refresh_token') {
              arrived();
              await gate;
            }
            return fetch(input, init);
          };
          const platforms = buildPlatformAdapters({ emulatorUrl: ctx.emulatorUrl as string, live: {}, clock: ctx.clock, fetch: gatedFetch });
          const refresher = createTokenRefresher({ db: ctx.database.db, clock: ctx.clock, vault: ctx.vault, platforms, publicBaseUrl: 'http://127.0.0.1:8080', fetch, blobs: ctx.blobs });
          return { refresher, reached, open };
        };
        const storedTokens = async (accountId: string) =>
          ctx.vault.get<TokenSet>(ctx.database.db, (await accountRow(ctx, accountId)).vault_entry_id as string);

        test('a reauth that completes while a refresh is in flight wins: the refresh result is discarded', async () => {
          const { username, accountId } = await refreshable('tt_race_ok');
          const { refresher, reached, open } = gatedRefresher();
          const running = refresher.refresh(accountId, { force: true });
          await reached;
          const reauth = await runReauth(ctx, tenant.secret, projectId, accountId, { username });
          assert.equal(reauth.callback.headers.location, RETURN_URL);
          const fromReauth = await storedTokens(accountId);
          open();
          const outcome = await running;
          assert.equal(outcome.result, 'refreshed_elsewhere');
          assert.deepEqual(await storedTokens(accountId), fromReauth, 'the reauth tokens are kept');
          const row = await accountRow(ctx, accountId);
          assert.equal(row.status, 'connected');
          assert.equal(row.refresh_lease_until, null);
          assert.equal((await ctx.refresher.refresh(accountId, { force: true })).result, 'refreshed', 'the kept tokens work');
        });

        test('a refresh of the old, revoked grant that fails after a reauth completed does not flag the account', async () => {
          const { username, accountId } = await refreshable('tt_race_bad');
          const { refresher, reached, open } = gatedRefresher();
          const running = refresher.refresh(accountId, { force: true });
          await reached;
          await control(ctx, 'POST', `/users/tiktok/${username}/revoke`, {});
          const reauth = await runReauth(ctx, tenant.secret, projectId, accountId, { username });
          assert.equal(reauth.callback.headers.location, RETURN_URL);
          const fromReauth = await storedTokens(accountId);
          open();
          await running;
          const row = await accountRow(ctx, accountId);
          assert.equal(row.status, 'connected', 'the stale failure must not undo the reauth');
          assert.equal(row.reauth_reason, null);
          assert.deepEqual(await storedTokens(accountId), fromReauth);
          assert.equal((await health(ctx, tenant.secret, accountId, true)).status, 'connected');
        });
      }

      if (platform === 'instagram') {
        test('Instagram 190/460 (password changed) found by a live check → reauth_required with reason credential_invalid', async () => {
          const { username, accountId } = await refreshable('ig_460');
          await control(ctx, 'POST', `/users/instagram/${username}/revoke`, { subcode: 460 });
          const report = await health(ctx, tenant.secret, accountId, true);
          assert.equal(report.status, 'reauth_required');
          assert.equal(report.needsReauth, true);
          assert.equal(report.reauthReason, 'credential_invalid');
          assert.equal(report.token.lastError.code, '190/460');
          assert.equal((await listed(accountId)).reauthReason, 'credential_invalid');
        });

        test('Instagram 190/458 (app removed) → token_revoked; the same on a refresh', async () => {
          const checked = await refreshable('ig_458');
          await control(ctx, 'POST', `/users/instagram/${checked.username}/revoke`, { subcode: 458 });
          assert.equal((await health(ctx, tenant.secret, checked.accountId, true)).reauthReason, 'token_revoked');

          const refreshed = await refreshable('ig_458r');
          await control(ctx, 'POST', `/users/instagram/${refreshed.username}/revoke`, { subcode: 458 });
          const outcome = await ctx.refresher.refresh(refreshed.accountId, { force: true });
          assert.equal(outcome.result, 'reauth_required');
          assert.equal(outcome.account.reauth_reason, 'token_revoked');
        });

        test('an Instagram token that expired before it was refreshed → refresh_expired', async () => {
          const { accountId } = await refreshable('ig_expired');
          ctx.clock.advance(61 * DAY);
          const report = await health(ctx, tenant.secret, accountId, true);
          assert.equal(report.status, 'reauth_required');
          assert.equal(report.reauthReason, 'refresh_expired');
        });
      }
    });
  }
}
