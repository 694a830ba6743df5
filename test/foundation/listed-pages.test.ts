import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { seedAccounts, seedContainers, type SeedScope } from '../../bench/seed.ts';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.ts';
import { PLATFORMS } from '../../src/platforms/registry.ts';
import { engines } from '../support/engines.ts';
import { buildTestApp, createTestContext, type TestApp, type TestContext, type Tenant } from '../support/test-app.ts';
import { expectError, newProject } from '../social/helpers.ts';

/**
 * Listed pages of accounts and posts are served again from memory while their list has not changed
 * (docs/performance.md, "Listed pages"). Whoever changes a row (another connection writing plain
 * SQL, as the operator CLI would, or another server process through the API), the next request
 * sees the change, on every filter and every page.
 */
for (const engine of engines) {
  describe(`listed pages never outlive a change (${engine})`, () => {
    let dir: string;
    let ctx: TestContext;
    let second: TestApp;
    let other: DatabaseHandle;
    let tenant: Tenant;
    let projectId: string;
    let scope: SeedScope;
    const postIds: string[] = [];

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'layers-listed-'));
      // A SQLite file, so that `other` is a connection of its own, as another process's would be.
      ctx = await createTestContext(engine, { sqliteFile: path.join(dir, 'layers.db') });
      second = await buildTestApp(ctx.database, ctx.clock, { publicBaseUrl: 'http://127.0.0.1:8080' });
      other =
        engine === 'postgres'
          ? openDatabase(ctx.database.url, { schema: ctx.database.schema as string, maxConnections: 1 })
          : openDatabase(ctx.database.url);
      tenant = await ctx.tenant();
      projectId = await newProject(ctx, tenant.secret);
      scope = { engine, organizationId: tenant.organizationId, projectId, tag: 'a1b2c3d4' };
      await seedAccounts(ctx.database.db, scope, 60);
      await seedContainers(ctx.database.db, scope, 1);
      const now = ctx.clock.now().getTime();
      for (let i = 1; i <= 30; i++) {
        const id = `sp_a1b2c3d4-0000-4000-8000-${String(i).padStart(12, '0')}`;
        postIds.push(id);
        const at = new Date(now + i * 60_000).toISOString();
        await ctx.database.db
          .insertInto('scheduled_posts')
          .values({
            id,
            organization_id: tenant.organizationId,
            project_id: projectId,
            container_id: 'cnt_a1b2c3d4-0000-4000-8000-000000000001',
            social_account_id: 'sa_a1b2c3d4-0000-4000-8000-000000000001',
            platform: PLATFORMS[0],
            mode: 'publish',
            status: 'queued',
            scheduled_for: at,
            caption: `Caption ${i}`,
            settings: '{}',
            attempts: 0,
            next_attempt_at: at,
            behind_publishing: 0,
            created_at: at,
            updated_at: at,
          })
          .execute();
      }
    });
    after(async () => {
      await other.destroy();
      await second.close();
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const get = (url: string, app: TestApp = ctx, secret = tenant.secret) =>
      app.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${secret}` } });
    const accounts = (query = '') => `/v1/projects/${projectId}/social-accounts${query}`;
    const posts = (query = '') => `/v1/projects/${projectId}/scheduled-posts${query}`;
    /** The page, asked for twice: the second answer (from memory) is the first's bytes. */
    const readTwice = async (url: string) => {
      const first = await get(url);
      assert.equal(first.statusCode, 200, first.body);
      const again = await get(url);
      assert.equal(again.statusCode, 200);
      assert.equal(again.headers['content-type'], first.headers['content-type']);
      assert.equal(again.body, first.body);
      return first.json() as { items: Array<Record<string, any>>; nextCursor: string | null };
    };
    const ids = (page: { items: Array<Record<string, any>> }, field: string) => page.items.map((item) => item[field] as string);

    test('an account changed, added or deleted by another connection is seen on the next request, on every filter and page', async () => {
      const all = await readTwice(accounts('?limit=20'));
      const pageTwo = await readTwice(accounts(`?limit=20&cursor=${all.nextCursor}`));
      const reauth = await readTwice(accounts('?status=reauth_required'));
      const [newest] = all.items;
      const onPageTwo = pageTwo.items[5]!;
      assert.ok(newest && !ids(reauth, 'socialAccountId').includes(newest.socialAccountId));

      const now = new Date().toISOString();
      await other.db
        .updateTable('social_accounts')
        .set({ status: 'reauth_required', reauth_required_at: now, reauth_reason: 'token_revoked' })
        .where('id', 'in', [newest.socialAccountId, onPageTwo.socialAccountId])
        .execute();
      const changed = (await get(accounts('?limit=20'))).json();
      assert.equal(changed.items[0].status, 'reauth_required');
      assert.equal(changed.items[0].reauthReason, 'token_revoked');
      assert.equal((await get(accounts(`?limit=20&cursor=${all.nextCursor}`))).json().items[5].status, 'reauth_required');
      const nowReauth = ids((await get(accounts('?status=reauth_required'))).json(), 'socialAccountId');
      assert.ok(nowReauth.includes(newest.socialAccountId) && nowReauth.includes(onPageTwo.socialAccountId));

      await other.db.deleteFrom('social_accounts').where('id', '=', newest.socialAccountId).execute();
      assert.ok(!ids((await get(accounts('?limit=20'))).json(), 'socialAccountId').includes(newest.socialAccountId));
      await seedAccounts(other.db, { ...scope, tag: 'e5f6a7b8' }, 1);
      const added = (await get(accounts('?limit=100'))).json();
      assert.ok(ids(added, 'socialAccountId').includes('sa_e5f6a7b8-0000-4000-8000-000000000001'));
      assert.equal(added.items.length, 60);
    });

    test('a post canceled through another server process shows as canceled on this one, in the list and its filters', async () => {
      const queued = await readTwice(posts('?status=queued&limit=10'));
      await readTwice(posts('?limit=10'));
      const [newest] = queued.items;
      assert.ok(newest);
      const canceled = await second.app.inject({
        method: 'DELETE',
        url: `/v1/scheduled-posts/${newest.id}`,
        headers: { authorization: `Bearer ${tenant.secret}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ reason: 'changed our mind' }),
      });
      assert.equal(canceled.statusCode, 200, canceled.body);
      const listed = (await get(posts('?limit=10'))).json();
      assert.equal(listed.items[0].id, newest.id);
      assert.equal(listed.items[0].status, 'canceled');
      assert.equal(listed.items[0].cancelReason, 'changed our mind');
      assert.ok(!ids((await get(posts('?status=queued&limit=10'))).json(), 'id').includes(newest.id));
      assert.deepEqual(ids((await get(posts('?status=canceled'))).json(), 'id'), [newest.id]);
    });

    test('another organization asking for a page held in memory gets 404, never the page', async () => {
      await readTwice(accounts());
      await readTwice(posts());
      const stranger = await ctx.tenant({ orgName: 'Someone else' });
      expectError(await get(accounts(), ctx, stranger.secret), 404, 'NOT_FOUND');
      expectError(await get(posts(), ctx, stranger.secret), 404, 'NOT_FOUND');
    });
  });
}
