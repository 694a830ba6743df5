import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { up as withdrawNotConnected } from '../../src/db/migrations/0018_metric_accounts_not_due.ts';
import { NOT_DUE } from '../../src/metrics/registration.ts';
import { markReauthRequired } from '../../src/social/account-status.ts';
import { startMediaServer, type MediaServer } from '../platforms/publish-driver.ts';
import { engines } from '../support/engines.ts';
import { buildTestApp, createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { accountRow, addFault, control, emulatorRequests, insertAccount, newProject, runReauth, uniqueUser } from '../social/helpers.ts';
import { column, connectMeasured, getMetrics, insertPublishedPost, publishedPost, setCounters, type PublishedPost } from './helpers.ts';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

for (const engine of engines) {
  describe(`metrics history (${engine})`, () => {
    let ctx: TestContext;
    let media: MediaServer;
    let tenant: Tenant;
    let projectId: string;
    let accountId: string;
    const username = uniqueUser('tt_metrics');
    let first: PublishedPost;
    let second: PublishedPost;
    let start: Date;

    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
      media = await startMediaServer();
      tenant = await ctx.tenant();
      projectId = await newProject(ctx, tenant.secret);
      start = ctx.clock.now();
      await control(ctx, 'POST', `/users/tiktok/${username}`, { followers: 100 });
      accountId = await connectMeasured(ctx, tenant, projectId, 'tiktok', username);
      first = await publishedPost(ctx, media, accountId);
      second = await publishedPost(ctx, media, accountId);
    });
    after(async () => {
      await media.close();
      await ctx.close();
    });

    it('a sync stores what the platform counts; series and totals read it back per post, account and project', async () => {
      await setCounters(ctx, 'tiktok', username, first.externalId, { views: 1000, likes: 100, comments: 10, shares: 5 });
      await setCounters(ctx, 'tiktok', username, second.externalId, { views: 300, likes: 30 });
      assert.equal(await ctx.metricsSync.runOnce(), 1);

      ctx.clock.advance(HOUR);
      await setCounters(ctx, 'tiktok', username, first.externalId, { views: 1500 });
      await control(ctx, 'POST', `/users/tiktok/${username}`, { followers: 120 });
      assert.equal(await ctx.metricsSync.runOnce(), 1);
      // Not due again before the interval has passed.
      assert.equal(await ctx.metricsSync.runOnce(), 0);

      const window = `since=${start.toISOString()}&until=${new Date(start.getTime() + 2 * HOUR).toISOString()}&granularity=hour`;
      const post = await getMetrics(ctx, tenant.secret, projectId, `scope=platform_post&id=${first.scheduledPostId}&${window}`);
      assert.deepEqual(
        post.series.map((bucket) => bucket.start),
        [start.toISOString(), new Date(start.getTime() + HOUR).toISOString()],
      );
      assert.deepEqual(column(post, 'views'), [1000, 500]);
      assert.deepEqual(column(post, 'likes'), [100, 0]);
      // TikTok reports neither reach nor saves: not measured, never 0.
      assert.deepEqual(column(post, 'reach'), [null, null]);
      assert.deepEqual(column(post, 'saves'), [null, null]);
      assert.deepEqual(column(post, 'engagement_rate'), [0.115, 0]);
      assert.deepEqual(post.totals, { views: 1500, reach: null, likes: 100, comments: 10, shares: 5, saves: null, engagement_rate: 115 / 1500 });

      const account = await getMetrics(ctx, tenant.secret, projectId, `scope=social_account&id=${accountId}&${window}`);
      assert.deepEqual(column(account, 'views'), [1300, 500]);
      assert.deepEqual(column(account, 'followers'), [100, 120]);
      assert.deepEqual(column(account, 'follower_delta'), [null, 20]);
      assert.deepEqual(column(account, 'posts_published'), [2, 0]);
      assert.deepEqual(
        { views: account.totals['views'], likes: account.totals['likes'], followers: account.totals['followers'], follower_delta: account.totals['follower_delta'], posts_published: account.totals['posts_published'] },
        { views: 1800, likes: 130, followers: 120, follower_delta: 20, posts_published: 2 },
      );

      const project = await getMetrics(ctx, tenant.secret, projectId, `scope=project&id=${projectId}&metrics=views&metrics=followers&${window.replace('granularity=hour', 'granularity=day')}`);
      assert.equal(project.series.length, 1);
      assert.deepEqual(project.series[0]?.values, { views: 1800, followers: 120 });
      assert.deepEqual(project.totals, { views: 1800, followers: 120 });
    });

    it('top performers ranks the posts by the counters set', async () => {
      const byViews = await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/top-performers?metric=views`, key: tenant.secret });
      assert.equal(byViews.statusCode, 200, byViews.body);
      const items = (byViews.json() as { items: Array<Record<string, unknown>> }).items;
      assert.deepEqual(
        items.map((item) => [item['scheduledPostId'], item['value']]),
        [
          [first.scheduledPostId, 1500],
          [second.scheduledPostId, 300],
        ],
      );
      assert.equal(items[0]?.['socialAccountId'], accountId);
      assert.equal(items[0]?.['platform'], 'tiktok');

      const byRate = await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/top-performers?metric=engagement_rate&window=7d&limit=1&platform=tiktok`, key: tenant.secret });
      assert.equal(byRate.statusCode, 200, byRate.body);
      assert.deepEqual(
        (byRate.json() as { items: Array<Record<string, unknown>> }).items.map((item) => [item['scheduledPostId'], item['value']]),
        [[second.scheduledPostId, 0.1]],
      );
      const otherPlatform = await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/top-performers?metric=views&platform=instagram`, key: tenant.secret });
      assert.deepEqual(otherPlatform.json(), { items: [] });
    });

    it('an account that needs reauth is not synced (its buckets are null) and resumes on the same history after the reauth', async () => {
      await control(ctx, 'POST', `/users/tiktok/${username}/revoke`);
      ctx.clock.advance(HOUR / 2);
      assert.equal(await ctx.metricsSync.runOnce(), 1);
      assert.equal((await accountRow(ctx, accountId)).status, 'reauth_required');

      ctx.clock.advance(DAY);
      await setCounters(ctx, 'tiktok', username, first.externalId, { views: 2000 });
      assert.equal(await ctx.metricsSync.runOnce(), 0, 'an account waiting for its reauth is skipped');

      const { callback } = await runReauth(ctx, tenant.secret, projectId, accountId, { username });
      assert.equal(callback.statusCode, 302, callback.body);
      assert.equal((await accountRow(ctx, accountId)).status, 'connected');
      assert.equal(await ctx.metricsSync.runOnce(), 1, 'synced at once after the reauth');
      ctx.clock.advance(HOUR);
      assert.equal(await ctx.metricsSync.runOnce(), 1);

      // From the first sync to the hour after the reauth: 12:00, 13:00, 23 hours unmeasured, 13:00 and 14:00 the next day.
      const until = new Date(start.getTime() + DAY + 3 * HOUR).toISOString();
      const hourly = await getMetrics(ctx, tenant.secret, projectId, `scope=platform_post&id=${first.scheduledPostId}&since=${start.toISOString()}&until=${until}&granularity=hour&metrics=views`);
      assert.deepEqual(column(hourly, 'views'), [1000, 500, ...new Array(23).fill(null), 500, 0]);
      assert.equal(hourly.totals['views'], 2000);

      const account = await getMetrics(ctx, tenant.secret, projectId, `scope=social_account&id=${accountId}&since=${start.toISOString()}&until=${until}&granularity=hour&metrics=followers`);
      assert.deepEqual(column(account, 'followers'), [100, 120, ...new Array(23).fill(null), 120, 120]);

      const daily = await getMetrics(ctx, tenant.secret, projectId, `scope=social_account&id=${accountId}&since=${start.toISOString()}&until=${until}&metrics=views&metrics=posts_published`);
      assert.deepEqual(daily.series.map((bucket) => bucket.values), [
        { views: 1800, posts_published: 2 },
        { views: 500, posts_published: 0 },
      ]);
      assert.equal(daily.since, '2026-11-24T00:00:00.000Z', 'days are UTC days');
    });

    it('a transient failure leaves the hour unmeasured and the account connected; the next interval measures again', async () => {
      ctx.clock.advance(HOUR);
      await addFault(ctx, { platform: 'tiktok', endpoint: 'userinfo', status: 500 });
      assert.equal(await ctx.metricsSync.runOnce(), 1);
      assert.equal((await accountRow(ctx, accountId)).status, 'connected');
      const synced = await ctx.database.db.selectFrom('metric_accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
      assert.match(String(synced.last_error), /HTTP 500/);

      ctx.clock.advance(HOUR / 2);
      assert.equal(await ctx.metricsSync.runOnce(), 1);
      const hourOfFailure = new Date(start.getTime() + DAY + 3 * HOUR).toISOString();
      const series = await getMetrics(ctx, tenant.secret, projectId, `scope=platform_post&id=${first.scheduledPostId}&since=${hourOfFailure}&until=${new Date(start.getTime() + DAY + 5 * HOUR).toISOString()}&granularity=hour&metrics=views`);
      assert.deepEqual(column(series, 'views'), [null, 0]);
    });

    it('the sync asks TikTok for 20 videos a call', async () => {
      // 40 more posts TikTok does not know (deleted since): 42 in all, three video/query calls.
      for (let index = 0; index < 40; index++) await insertPublishedPost(ctx, accountId, `71000000000000${String(index).padStart(5, '0')}`, null);
      await control(ctx, 'DELETE', '/requests');
      ctx.clock.advance(HOUR);
      assert.equal(await ctx.metricsSync.runOnce(), 1);
      const calls = (await emulatorRequests(ctx)).filter((request) => request.path.endsWith('/v2/video/query/'));
      assert.equal(calls.length, 3);
    });

    it('a post TikTok knows only by its publish_id is not measured: null, while its account is', async () => {
      const pending = await insertPublishedPost(ctx, accountId, 'v_pub_file~v2.7300000000000000001', null);
      ctx.clock.advance(HOUR);
      assert.equal(await ctx.metricsSync.runOnce(), 1);
      const since = new Date(ctx.clock.now().getTime() - HOUR).toISOString();
      const until = new Date(ctx.clock.now().getTime() + HOUR).toISOString();
      const post = await getMetrics(ctx, tenant.secret, projectId, `scope=platform_post&id=${pending}&since=${since}&until=${until}&granularity=hour&metrics=views`);
      assert.deepEqual(column(post, 'views'), [null, null]);
      const account = await getMetrics(ctx, tenant.secret, projectId, `scope=social_account&id=${accountId}&since=${since}&until=${until}&granularity=hour&metrics=views`);
      assert.deepEqual(column(account, 'views'), [0, 0]);
    });
  });
}

for (const engine of engines) {
  describe(`Instagram reports reach and saves, and ranks among the project's posts (${engine})`, () => {
    let ctx: TestContext;
    let media: MediaServer;

    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
      media = await startMediaServer();
    });
    after(async () => {
      await media.close();
      await ctx.close();
    });

    it('every counter the platform module measures reaches the series; a project sums its platforms', async () => {
      const tenant = await ctx.tenant();
      const projectId = await newProject(ctx, tenant.secret);
      const igUser = uniqueUser('ig_metrics');
      const ttUser = uniqueUser('tt_metrics');
      await control(ctx, 'POST', `/users/instagram/${igUser}`, { followers: 50 });
      await control(ctx, 'POST', `/users/tiktok/${ttUser}`, { followers: 10 });
      const igAccount = await connectMeasured(ctx, tenant, projectId, 'instagram', igUser);
      const ttAccount = await connectMeasured(ctx, tenant, projectId, 'tiktok', ttUser);
      const igPost = await publishedPost(ctx, media, igAccount);
      const video = await publishedPost(ctx, media, ttAccount);
      await setCounters(ctx, 'instagram', igUser, igPost.externalId, { views: 900, reach: 700, likes: 80, comments: 6, shares: 5, saves: 4 });
      await setCounters(ctx, 'tiktok', ttUser, video.externalId, { views: 2000, likes: 10, comments: 0, shares: 0, saves: 99, reach: 99 });
      assert.equal(await ctx.metricsSync.runOnce(), 2);

      const post = await getMetrics(ctx, tenant.secret, projectId, `scope=platform_post&id=${igPost.scheduledPostId}`);
      assert.deepEqual(post.totals, { views: 900, reach: 700, likes: 80, comments: 6, shares: 5, saves: 4, engagement_rate: 95 / 900 });
      const project = await getMetrics(ctx, tenant.secret, projectId, `scope=project&id=${projectId}&metrics=views&metrics=reach&metrics=saves&metrics=followers&metrics=posts_published`);
      // TikTok's reach and saves are not read (TikTok does not report them to apps), whatever the emulator holds.
      assert.deepEqual(project.totals, { views: 2900, reach: 700, saves: 4, followers: 60, posts_published: 2 });

      const top = await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/top-performers?metric=engagement_rate`, key: tenant.secret });
      assert.deepEqual(
        (top.json() as { items: Array<{ scheduledPostId: string; value: number }> }).items.map((item) => [item.scheduledPostId, item.value]),
        [
          [igPost.scheduledPostId, 95 / 900],
          [video.scheduledPostId, 10 / 2000],
        ],
      );

      // A revoked Instagram grant (which no refresh can mend) turns the account reauth_required, with its event.
      await control(ctx, 'POST', `/users/instagram/${igUser}/revoke`, { subcode: 458 });
      ctx.clock.advance(60 * 60 * 1000);
      assert.equal(await ctx.metricsSync.runOnce(), 2);
      const account = await accountRow(ctx, igAccount);
      assert.deepEqual([account.status, account.reauth_reason], ['reauth_required', 'token_revoked']);
      const events = await ctx.database.db.selectFrom('webhook_events').select('payload').where('type', '=', 'social_account.needs_reauth').execute();
      assert.equal(events.filter((event) => event.payload.includes(igAccount)).length, 1);
      assert.equal((await accountRow(ctx, ttAccount)).status, 'connected');
    });
  });
}

for (const engine of engines) {
  describe(`an account connected but without a stored credential (${engine})`, () => {
    let ctx: TestContext;

    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
    });
    after(() => ctx.close());

    it('is synced again at the next interval with the reason recorded, not claimed again at once', async () => {
      const tenant = await ctx.tenant();
      const projectId = await newProject(ctx, tenant.secret);
      const accountId = await connectMeasured(ctx, tenant, projectId, 'tiktok', uniqueUser('tt_lost'));
      // The vault entry gone (a partial restore, say): the account reads `connected` but nothing can call TikTok for it.
      const { vault_entry_id: entryId } = await accountRow(ctx, accountId);
      await ctx.database.db.deleteFrom('vault_entries').where('id', '=', entryId as string).execute();

      assert.equal(await ctx.metricsSync.runOnce(), 1, 'worked once in the run');
      const row = await ctx.database.db.selectFrom('metric_accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
      assert.equal(row.last_error, 'The account has no stored credential.');
      assert.equal(row.next_sync_at, new Date(ctx.clock.now().getTime() + 30 * 60 * 1000).toISOString(), 'due again after the interval');
      assert.equal(row.locked_until, null);
      assert.equal(await ctx.metricsSync.runOnce(), 0, 'not due before then');
      assert.equal((await accountRow(ctx, accountId)).status, 'connected', 'the sync does not judge the account');
    });
  });
}

for (const engine of engines) {
  describe(`which accounts the sync reads (${engine})`, () => {
    let ctx: TestContext;

    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
    });
    after(() => ctx.close());

    it("an account is read from the run after its grant; one connected before grants registered accounts, from a process's first run", async () => {
      const tenant = await ctx.tenant();
      const projectId = await newProject(ctx, tenant.secret);
      await connectMeasured(ctx, tenant, projectId, 'tiktok', uniqueUser('tt_first'));
      assert.equal(await ctx.metricsSync.runOnce(), 1);

      const later = await connectMeasured(ctx, tenant, projectId, 'tiktok', uniqueUser('tt_later'));
      assert.equal(await ctx.metricsSync.runOnce(), 1, 'the account connected since is due at once; the first is not due again yet');
      const synced = await ctx.database.db.selectFrom('metric_accounts').select('last_synced_at').where('id', '=', later).executeTakeFirstOrThrow();
      assert.equal(synced.last_synced_at, ctx.clock.now().toISOString());

      // An upgraded database: the account is connected but has no place in the sync's queue.
      const upgraded = await connectMeasured(ctx, tenant, projectId, 'tiktok', uniqueUser('tt_upgraded'));
      await ctx.database.db.deleteFrom('metric_accounts').where('id', '=', upgraded).execute();
      assert.equal(await ctx.metricsSync.runOnce(), 0, 'a process registers the accounts no grant registered on its first run only');
      const restarted = await buildTestApp(ctx.database, ctx.clock, { emulatorUrl: ctx.emulatorUrl as string });
      try {
        assert.equal(await restarted.metricsSync.runOnce(), 1);
        const row = await ctx.database.db.selectFrom('metric_accounts').select('last_synced_at').where('id', '=', upgraded).executeTakeFirstOrThrow();
        assert.equal(row.last_synced_at, ctx.clock.now().toISOString());
      } finally {
        await restarted.close();
      }
    });
  });
}

for (const engine of engines) {
  describe(`accounts that are not connected have no due time in the sync (${engine})`, () => {
    let ctx: TestContext;
    /** Runs once, as the next call for an account's followers (user/info) leaves the server. */
    let beforeFollowersRead: (() => Promise<void>) | null = null;

    before(async () => {
      ctx = await createTestContext(engine, {
        emulator: true,
        fetch: async (input, init) => {
          const hook = beforeFollowersRead;
          if (hook && String(input instanceof Request ? input.url : input).includes('/v2/user/info/')) {
            beforeFollowersRead = null;
            await hook();
          }
          return fetch(input, init);
        },
      });
    });
    after(() => ctx.close());

    const dueTime = async (accountId: string) =>
      (await ctx.database.db.selectFrom('metric_accounts').select('next_sync_at').where('id', '=', accountId).executeTakeFirstOrThrow()).next_sync_at;

    it('from the change that needs a reauth or disconnects, until a grant binds the account again', async () => {
      const tenant = await ctx.tenant();
      const projectId = await newProject(ctx, tenant.secret);
      const username = uniqueUser('tt_withdrawn');
      const revoked = await connectMeasured(ctx, tenant, projectId, 'tiktok', username);
      const disconnected = await connectMeasured(ctx, tenant, projectId, 'tiktok', uniqueUser('tt_disconnected'));
      assert.equal(await ctx.metricsSync.runOnce(), 2);

      await control(ctx, 'POST', `/users/tiktok/${username}/revoke`);
      ctx.clock.advance(HOUR);
      assert.equal(await ctx.metricsSync.runOnce(), 2, 'the revoked grant is found by its sync');
      assert.equal((await accountRow(ctx, revoked)).status, 'reauth_required');
      const deleted = await ctx.call({ method: 'DELETE', url: `/v1/social-accounts/${disconnected}`, key: tenant.secret });
      assert.equal(deleted.statusCode, 200, deleted.body);
      assert.deepEqual([await dueTime(revoked), await dueTime(disconnected)], [NOT_DUE, NOT_DUE]);

      ctx.clock.advance(DAY);
      const { callback } = await runReauth(ctx, tenant.secret, projectId, revoked, { username });
      assert.equal(callback.statusCode, 302, callback.body);
      assert.equal(await dueTime(revoked), ctx.clock.now().toISOString(), 'due at once after its reauth');
      assert.equal(await ctx.metricsSync.runOnce(), 1);
    });

    it('an account that needs a reauth from while its sync reads the platform stays not due after the sync stores what it read', async () => {
      const tenant = await ctx.tenant();
      const projectId = await newProject(ctx, tenant.secret);
      const accountId = await connectMeasured(ctx, tenant, projectId, 'tiktok', uniqueUser('tt_racing'));
      // Another process's token refresh finds the grant rejected meanwhile (the read already had its token).
      beforeFollowersRead = async () => {
        const changed = await ctx.database.db
          .transaction()
          .execute((trx) => markReauthRequired(trx, ctx.clock, accountId, { reason: 'token_revoked', errorCode: 'access_token_invalid', errorMessage: 'Revoked.' }));
        assert.equal(changed, true);
      };
      assert.equal(await ctx.metricsSync.runOnce(), 1);
      assert.equal(beforeFollowersRead, null, 'the account changed during its sync');
      const row = await ctx.database.db.selectFrom('metric_accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
      assert.equal(row.last_synced_at, ctx.clock.now().toISOString(), 'what the sync read is stored');
      assert.equal(row.next_sync_at, NOT_DUE);
    });

    it('an upgraded database: migration 0018 withdraws the rows of accounts that are not connected, and only those', async () => {
      const tenant = await ctx.tenant();
      const projectId = await newProject(ctx, tenant.secret);
      const scope = { organizationId: tenant.organizationId, projectId, platform: 'tiktok' };
      const accounts = {
        connected: await insertAccount(ctx, scope),
        waiting: await insertAccount(ctx, { ...scope, status: 'reauth_required' }),
        disconnected: await insertAccount(ctx, { ...scope, status: 'disconnected' }),
      };
      const lastDue = ctx.clock.now().toISOString();
      await ctx.database.db
        .insertInto('metric_accounts')
        .values(Object.values(accounts).map((id) => ({ id, next_sync_at: lastDue })))
        .execute();
      await withdrawNotConnected(ctx.database.db);
      assert.deepEqual(
        [await dueTime(accounts.connected), await dueTime(accounts.waiting), await dueTime(accounts.disconnected)],
        [lastDue, NOT_DUE, NOT_DUE],
      );
    });
  });
}
