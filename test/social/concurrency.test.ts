import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { PLATFORMS, REAUTH_ELIGIBLE } from '../../src/platforms/registry.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { completeOAuthCallback } from '../../src/social/callback.ts';
import { consent, followToCallback } from '../support/consent.ts';
import { engines } from '../support/engines.ts';
import { lastingTokenOf, PLATFORM_KITS } from '../support/platform-kits.ts';
import { buildTestApp, createTestContext, type TestApp, type TestContext, type Tenant } from '../support/test-app.ts';
import {
  accountRow,
  connectAccount,
  control,
  countAccounts,
  countGrants,
  mintConnect,
  mintReauth,
  newProject,
  oauthStatus,
  RETURN_URL,
  uniqueUser,
} from './helpers.ts';

/**
 * A state completes at most once however many callbacks race for it (docs/reference/social-accounts.md, "The callback"), and an account
 * is refreshed once at a time across every process (docs/behaviour.md, "Token refresh"), so a rotated refresh token is
 * never lost.
 */
/**
 * The platform answers refresh grants after 300 ms, so requests fired together are still in flight
 * while the first refresh runs, however slowly a loaded machine schedules them: a request that
 * begins after a refresh has ended is a new request, and may refresh again.
 */
const slowRefreshes: typeof fetch = async (input, init) => {
  if (`${String(input)} ${String(init?.body ?? '')}`.includes('refresh_token')) await sleep(300);
  return fetch(input, init);
};

for (const engine of engines) {
  for (const platform of PLATFORMS) {
    const kit = PLATFORM_KITS[platform];
    const reauthable = REAUTH_ELIGIBLE.includes(platform);
    describe(`concurrency on ${platform} (${engine})`, () => {
      let ctx: TestContext;
      let second: TestApp;
      let tenant: Tenant;

      before(async () => {
        // Every browser of these stampedes comes from 127.0.0.1: one address, far past a person's callback budget.
        ctx = await createTestContext(engine, { emulator: true, fetch: slowRefreshes, addressLimits: { callback: 100_000, upload: 100_000, public: 100_000 } });
        // A second server process over the same database, talking to the same emulator.
        second = await buildTestApp(ctx.database, ctx.clock, { emulatorUrl: ctx.emulatorUrl as string, fetch: slowRefreshes });
        tenant = await ctx.tenant();
      });
      after(async () => {
        await second.close();
        await ctx.close();
      });

      test('50 concurrent callbacks for one state: one account, one code exchange, fifty 302s to returnUrl', async () => {
        const projectId = await newProject(ctx, tenant.secret);
        const minted = await mintConnect(ctx, tenant.secret, projectId, platform);
        const redirect = await consent(minted.authorizeUrl, { username: uniqueUser('stampede') });
        await control(ctx, 'DELETE', '/requests');

        const answers = await Promise.all(Array.from({ length: 50 }, () => followToCallback(ctx, redirect)));
        for (const answer of answers) {
          assert.equal(answer.statusCode, 302, answer.body);
          assert.equal(answer.headers.location, RETURN_URL);
        }
        assert.equal(await countAccounts(ctx, projectId), 1);
        assert.equal(await countGrants(ctx, platform, 'authorization_code'), 1);
        const status = await oauthStatus(ctx, tenant.secret, minted.state);
        assert.equal(status.status, 'completed');
        assert.equal((await accountRow(ctx, status.socialAccountId)).status, 'connected');
      });

      test('concurrent callbacks for one state split over two server processes still bind once', async () => {
        const projectId = await newProject(ctx, tenant.secret);
        const minted = await mintConnect(ctx, tenant.secret, projectId, platform);
        const redirect = await consent(minted.authorizeUrl, { username: uniqueUser('two_procs') });
        await control(ctx, 'DELETE', '/requests');
        const path = `${redirect.pathname}${redirect.search}`;
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? ctx.app : second.app).inject({ method: 'GET', url: path })),
        );
        for (const answer of answers) assert.equal(answer.headers.location, RETURN_URL, answer.body);
        assert.equal(await countAccounts(ctx, projectId), 1);
        assert.equal(await countGrants(ctx, platform, 'authorization_code'), 1);
      });

      if (reauthable) {
        test('concurrent reauth callbacks bind back to the same account exactly once', async () => {
          const projectId = await newProject(ctx, tenant.secret);
          const user = uniqueUser('re_stampede');
          const accountId = await connectAccount(ctx, tenant, projectId, platform, user);
          const minted = await mintReauth(ctx, tenant.secret, projectId, accountId);
          const redirect = await consent(minted.authorizeUrl, { username: user });
          await control(ctx, 'DELETE', '/requests');
          const answers = await Promise.all(Array.from({ length: 20 }, () => followToCallback(ctx, redirect)));
          for (const answer of answers) assert.equal(answer.headers.location, RETURN_URL, answer.body);
          assert.equal(await countAccounts(ctx, projectId), 1);
          assert.equal(await countGrants(ctx, platform, 'authorization_code'), 1);
          assert.equal((await oauthStatus(ctx, tenant.secret, minted.state)).socialAccountId, accountId);
        });
      }

      test('the same person consenting through four states at once ends up with one account, not four', async () => {
        const projectId = await newProject(ctx, tenant.secret);
        const username = uniqueUser('four_tabs');
        const redirects: URL[] = [];
        for (let i = 0; i < 4; i++) redirects.push(await consent((await mintConnect(ctx, tenant.secret, projectId, platform)).authorizeUrl, { username }));
        const answers = await Promise.all(redirects.map((redirect, i) => (i % 2 === 0 ? ctx.app : second.app).inject({ method: 'GET', url: `${redirect.pathname}${redirect.search}` })));
        for (const answer of answers) assert.equal(answer.headers.location, RETURN_URL, answer.body);
        assert.equal(await countAccounts(ctx, projectId), 1);
      });

      if (reauthable) {
        test('a revoke that lands while a reauth callback is binding stays final: nothing is revived', async () => {
          const projectId = await newProject(ctx, tenant.secret);
          const username = uniqueUser('revoke_race');
          const accountId = await connectAccount(ctx, tenant, projectId, platform, username);
          const entryId = (await accountRow(ctx, accountId)).vault_entry_id as string;
          const minted = await mintReauth(ctx, tenant.secret, projectId, accountId);
          const redirect = await consent(minted.authorizeUrl, { username });
          // The callback's last outbound call (copying the avatar) waits at a gate, after the platform checks.
          let open!: () => void;
          let arrived!: () => void;
          const gate = new Promise<void>((resolve) => (open = resolve));
          const reached = new Promise<void>((resolve) => (arrived = resolve));
          const gatedFetch: typeof fetch = async (input, init) => {
            arrived();
            await gate;
            return fetch(input, init);
          };
          const running = completeOAuthCallback({ ...ctx.social, fetch: gatedFetch }, platform, Object.fromEntries(redirect.searchParams));
          await reached;
          const revoked = await ctx.call({ method: 'DELETE', url: `/v1/social-accounts/${accountId}`, key: tenant.secret });
          assert.equal(revoked.statusCode, 200, revoked.body);
          open();
          const outcome = await running;
          assert.equal(outcome.type, 'redirect');
          assert.ok(outcome.type === 'redirect' && new URL(outcome.location).searchParams.has('layers_oauth_error'), JSON.stringify(outcome));
          assert.equal((await oauthStatus(ctx, tenant.secret, minted.state)).status, 'failed');
          const row = await accountRow(ctx, accountId);
          assert.equal(row.status, 'disconnected');
          assert.equal(row.disconnected_reason, 'revoked_by_partner');
          assert.equal(row.vault_entry_id, null);
          const entry = await ctx.database.db.selectFrom('vault_entries').select('id').where('id', '=', entryId).executeTakeFirst();
          assert.equal(entry, undefined, 'the destroyed credential was not written back');
        });
      }

      const refreshable = async (username: string) => {
        const projectId = await newProject(ctx, tenant.secret);
        const accountId = await connectAccount(ctx, tenant, projectId, platform, username);
        ctx.clock.advance(kit.refreshableAfterMs);
        await control(ctx, 'DELETE', '/requests');
        return accountId;
      };
      const storedTokens = async (accountId: string) => {
        const row = await accountRow(ctx, accountId);
        const tokens = await ctx.vault.get<TokenSet>(ctx.database.db, row.vault_entry_id as string);
        assert.ok(tokens);
        return tokens;
      };
      /** The stored token is the one the platform considers alive, and a later refresh works. */
      const expectNewestStored = async (accountId: string, username: string) => {
        const stored = await storedTokens(accountId);
        const issued = (await control(ctx, 'GET', `/tokens/${platform}`)).tokens as Array<{ token: string; kind: string; username: string; state: string }>;
        const live = issued.filter((t) => t.username === username && t.kind === kit.lastingToken.kind && t.state === 'active').map((t) => t.token);
        const storedLive = lastingTokenOf(kit, stored);
        assert.ok(live.includes(storedLive as string), 'the vault holds a token the platform still accepts');
        if (kit.lastingToken.kind === 'refresh') assert.deepEqual(live, [storedLive], 'exactly one live refresh token: the stored one');

        ctx.clock.advance(kit.refreshableAfterMs);
        const next = await ctx.refresher.refresh(accountId, { force: true });
        assert.equal(next.result, 'refreshed', next.result === 'failed' || next.result === 'reauth_required' ? next.error.message : '');
        assert.equal(next.account.status, 'connected');
      };

      test('20 concurrent forced refreshes in one process: one refresh grant, all succeed, the newest token is stored', async () => {
        const username = uniqueUser('refresh20');
        const accountId = await refreshable(username);
        const before = await storedTokens(accountId);
        const outcomes = await Promise.all(Array.from({ length: 20 }, () => ctx.refresher.refresh(accountId, { force: true })));
        for (const outcome of outcomes) {
          assert.ok(['refreshed', 'refreshed_elsewhere'].includes(outcome.result), outcome.result);
          assert.equal(outcome.account.status, 'connected');
        }
        assert.equal(outcomes.filter((o) => o.result === 'refreshed').length, 1);
        assert.equal(await countGrants(ctx, platform, kit.refreshGrant), 1);
        const after = await storedTokens(accountId);
        assert.notEqual(after.accessToken, before.accessToken);
        const row = await accountRow(ctx, accountId);
        assert.equal(row.refresh_lease_until, null, 'the lease is released');
        assert.equal(row.last_refreshed_at, ctx.clock.now().toISOString());
        await expectNewestStored(accountId, username);
      });

      test('concurrent forced refreshes from two server processes: still one refresh grant at the platform', async () => {
        const username = uniqueUser('refresh2p');
        const accountId = await refreshable(username);
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? ctx.refresher : second.refresher).refresh(accountId, { force: true })),
        );
        for (const outcome of outcomes) {
          assert.ok(['refreshed', 'refreshed_elsewhere'].includes(outcome.result), outcome.result);
          assert.equal(outcome.account.status, 'connected');
        }
        assert.equal(outcomes.filter((o) => o.result === 'refreshed').length, 1);
        assert.equal(await countGrants(ctx, platform, kit.refreshGrant), 1);
        await expectNewestStored(accountId, username);
      });

      test('due (not forced) refreshes racing in two processes: one refresh, the loser does not refresh again', async () => {
        const username = uniqueUser('refreshdue');
        const accountId = await refreshable(username);
        // Past the scheduled refresh point.
        ctx.clock.advance(kit.refreshDueAfterMs);
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? ctx.refresher : second.refresher).refresh(accountId)),
        );
        for (const outcome of outcomes) assert.ok(['refreshed', 'refreshed_elsewhere', 'not_due'].includes(outcome.result), outcome.result);
        assert.equal(await countGrants(ctx, platform, kit.refreshGrant), 1);
        // And later on nothing is due any more.
        const again = await second.refresher.refresh(accountId);
        assert.equal(again.result, 'not_due');
        assert.equal(await countGrants(ctx, platform, kit.refreshGrant), 1);
        await expectNewestStored(accountId, username);
      });
    });
  }
}
