import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import {
  connectAccount,
  control,
  expectError,
  expectIssuePaths,
  health,
  insertAccount,
  MINUTE,
  mintReauth,
  newProject,
  oauthStatus,
  RETURN_URL,
  uniqueUser,
} from './helpers.ts';

const ACCOUNT_FIELDS = [
  'avatarUrl',
  'connectedAt',
  'disconnectedAt',
  'disconnectedReason',
  'displayName',
  'handle',
  'leased',
  'platform',
  'projectId',
  'reauthReason',
  'reauthRequiredAt',
  'socialAccountId',
  'status',
  'tokenExpiresAt',
];
const STATUS_FIELDS = ['completedAt', 'error', 'expiresAt', 'kind', 'platform', 'projectId', 'socialAccountId', 'state', 'status', 'usageNote'];

type Account = Record<string, any> & { socialAccountId: string; connectedAt: string };

/** Listing social accounts (§5.5) and reading oauth-status (§5.4). */
for (const engine of engines) {
  describe(`listing social accounts and oauth-status (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let projectId: string;
    /** By name: tt1, tt2 (leased), tt3 (reauth_required), ig1, ig2 (disconnected). */
    const ids: Record<string, string> = {};

    const list = (query = '', project = projectId, secret = tenant.secret) =>
      ctx.call({ method: 'GET', url: `/v1/projects/${project}/social-accounts${query ? `?${query}` : ''}`, key: secret });
    const items = async (query = '', project = projectId): Promise<Account[]> => {
      const res = await list(query, project);
      assert.equal(res.statusCode, 200, res.body);
      return res.json().items;
    };
    const allPages = async (query: string, project = projectId) => {
      const pages: Account[][] = [];
      let cursor: string | null = null;
      do {
        const res = await list(`${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, project);
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json() as { items: Account[]; nextCursor: string | null };
        assert.deepEqual(Object.keys(body).sort(), ['items', 'nextCursor']);
        pages.push(body.items);
        cursor = body.nextCursor;
        assert.ok(pages.length < 100, 'pagination terminates');
      } while (cursor);
      return pages;
    };

    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
      tenant = await ctx.tenant();
      projectId = await newProject(ctx, tenant.secret);
      const plan = [
        ['tt1', 'tiktok'],
        ['ig1', 'instagram'],
        ['tt2', 'tiktok'],
        ['ig2', 'instagram'],
        ['tt3', 'tiktok'],
      ] as const;
      const users: Record<string, string> = {};
      for (const [name, platform] of plan) {
        users[name] = uniqueUser(`list_${name}`);
        ids[name] = await connectAccount(ctx, tenant, projectId, platform, users[name]);
        ctx.clock.advance(MINUTE);
      }
      await ctx.database.db.updateTable('social_accounts').set({ leased: 1 }).where('id', '=', ids['tt2'] as string).execute();
      await control(ctx, 'POST', `/users/tiktok/${users['tt3']}/revoke`, {});
      assert.equal((await health(ctx, tenant.secret, ids['tt3'] as string, true)).status, 'reauth_required');
      assert.equal((await ctx.call({ method: 'DELETE', url: `/v1/social-accounts/${ids['ig2']}`, key: tenant.secret })).statusCode, 200);
    });
    after(() => ctx.close());

    test('lists every account of the project, newest connectedAt first, in the §5 shape', async () => {
      const all = await items();
      assert.deepEqual(
        all.map((a) => a.socialAccountId),
        ['tt3', 'ig2', 'tt2', 'ig1', 'tt1'].map((n) => ids[n]),
      );
      for (const account of all) {
        assert.deepEqual(Object.keys(account).sort(), ACCOUNT_FIELDS);
        assert.equal(account.projectId, projectId);
      }
      const connectedAts = all.map((a) => a.connectedAt);
      assert.deepEqual([...connectedAts].sort().reverse(), connectedAts);
      const byId = new Map(all.map((a) => [a.socialAccountId, a]));
      assert.equal(byId.get(ids['tt2'] as string)?.leased, true);
      assert.equal(byId.get(ids['tt1'] as string)?.leased, false);
      assert.equal(byId.get(ids['tt3'] as string)?.reauthReason, 'token_revoked');
      assert.equal(byId.get(ids['ig2'] as string)?.disconnectedReason, 'revoked_by_partner');
    });

    test('filters by platform, status and leased, alone and combined', async () => {
      const names = async (query: string) => {
        const found = await items(query);
        const reverse = new Map(Object.entries(ids).map(([name, id]) => [id, name]));
        return found.map((a) => reverse.get(a.socialAccountId));
      };
      assert.deepEqual(await names('platform=tiktok'), ['tt3', 'tt2', 'tt1']);
      assert.deepEqual(await names('platform=instagram'), ['ig2', 'ig1']);
      assert.deepEqual(await names('status=connected'), ['tt2', 'ig1', 'tt1']);
      assert.deepEqual(await names('status=reauth_required'), ['tt3']);
      assert.deepEqual(await names('status=disconnected'), ['ig2']);
      assert.deepEqual(await names('leased=true'), ['tt2']);
      assert.deepEqual(await names('leased=false'), ['tt3', 'ig2', 'ig1', 'tt1']);
      assert.deepEqual(await names('platform=tiktok&status=connected&leased=false'), ['tt1']);
      assert.deepEqual(await names('platform=instagram&status=reauth_required'), []);
    });

    test('paginates with limit and cursor: every account exactly once, in order, nextCursor null at the end', async () => {
      const all = (await items()).map((a) => a.socialAccountId);
      for (const limit of [1, 2, 3, 5, 6]) {
        const pages = await allPages(`limit=${limit}`);
        assert.ok(pages.every((page) => page.length <= limit));
        assert.deepEqual(pages.flat().map((a) => a.socialAccountId), all, `limit=${limit}`);
        assert.equal(pages.length, Math.max(1, Math.ceil(all.length / limit)));
      }
      const tiktok = await allPages('platform=tiktok&limit=1');
      assert.deepEqual(tiktok.flat().map((a) => a.socialAccountId), ['tt3', 'tt2', 'tt1'].map((n) => ids[n]));
    });

    test('accounts connected at the same instant are neither skipped nor repeated across pages; default limit 50, max 200', async () => {
      const crowded = await newProject(ctx, tenant.secret, 'Crowded app');
      const at = ctx.clock.now().toISOString();
      const inserted: string[] = [];
      for (let i = 0; i < 55; i++) {
        inserted.push(await insertAccount(ctx, { organizationId: tenant.organizationId, projectId: crowded, platform: i % 2 ? 'tiktok' : 'instagram', connected_at: at }));
      }
      const pages = await allPages('limit=7', crowded);
      const seen = pages.flat().map((a) => a.socialAccountId);
      assert.equal(new Set(seen).size, 55);
      assert.deepEqual([...seen].sort(), [...inserted].sort());

      const first = await list('', crowded);
      assert.equal(first.json().items.length, 50);
      assert.ok(first.json().nextCursor);
      const max = await list('limit=200', crowded);
      assert.equal(max.json().items.length, 55);
      assert.equal(max.json().nextCursor, null);
    });

    test('422 for bad query values and unknown parameters', async () => {
      for (const [query, path] of [
        ['platform=myspace', 'platform'],
        ['status=gone', 'status'],
        ['leased=yes', 'leased'],
        ['limit=0', 'limit'],
        ['limit=201', 'limit'],
        ['limit=ten', 'limit'],
        ['cursor=not-a-cursor', 'cursor'],
        ['sort=oldest', 'sort'],
      ] as const) {
        assert.deepEqual(expectIssuePaths(await list(query)), [path], query);
      }
    });

    test('404 for another organization’s project and for an unknown project; 400 for a malformed project id; bare UUID works', async () => {
      const other = await ctx.tenant({ orgName: 'Other Org' });
      const theirs = await newProject(ctx, other.secret, 'Their app');
      expectError(await list('', theirs), 404, 'NOT_FOUND');
      expectError(await list('', projectId, other.secret), 404, 'NOT_FOUND');
      expectError(await list('', `prj_${randomUUID()}`), 404, 'NOT_FOUND');
      expectError(await list('status=reauth_required', projectId, other.secret), 404, 'NOT_FOUND');
      // The caller's own project with no accounts is an empty page, not a 404.
      const empty = await newProject(ctx, tenant.secret, 'No accounts yet');
      const emptyPage = await list('', empty);
      assert.equal(emptyPage.statusCode, 200, emptyPage.body);
      assert.deepEqual(emptyPage.json(), { items: [], nextCursor: null });
      expectError(await list('', 'prj_nope'), 400, 'VALIDATION');
      assert.equal((await items('', projectId.slice('prj_'.length))).length, 5);
      const writer = await ctx.key(tenant.organizationId, { scopes: ['social:write'] });
      assert.deepEqual(expectError(await list('', projectId, writer.secret), 403, 'FORBIDDEN_SCOPE'), { requiredScope: 'social:read' });
    });

    test('oauth-status: the minting key sees the §5.4 shape; another key of the same org, or another org, gets 404', async () => {
      const minted = await ctx.call({
        method: 'POST',
        url: `/v1/projects/${projectId}/social/oauth-url`,
        key: tenant.secret,
        body: { platform: 'tiktok', returnUrl: RETURN_URL, usageNote: 'onboarding step 3' },
      });
      const { state, expiresAt } = minted.json();
      const status = await oauthStatus(ctx, tenant.secret, state);
      assert.deepEqual(Object.keys(status).sort(), STATUS_FIELDS);
      assert.deepEqual(status, {
        state,
        kind: 'connect',
        platform: 'tiktok',
        projectId,
        status: 'pending',
        expiresAt,
        usageNote: 'onboarding step 3',
        socialAccountId: null,
        completedAt: null,
        error: null,
      });

      const reauth = await mintReauth(ctx, tenant.secret, projectId, ids['ig1'] as string);
      const reauthStatus = await oauthStatus(ctx, tenant.secret, reauth.state);
      assert.equal(reauthStatus.kind, 'reauth');
      assert.equal(reauthStatus.platform, 'instagram');
      assert.equal(reauthStatus.socialAccountId, ids['ig1'], 'set from the start for a reauth');

      const sibling = await ctx.key(tenant.organizationId);
      expectError(await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${state}`, key: sibling.secret }), 404, 'NOT_FOUND');
      const other = await ctx.tenant({ orgName: 'Other Org 2' });
      expectError(await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${state}`, key: other.secret }), 404, 'NOT_FOUND');
      expectError(await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/st_01J0000000000000000000000Z`, key: tenant.secret }), 404, 'NOT_FOUND');
      const writer = await ctx.key(tenant.organizationId, { scopes: ['social:write'] });
      expectError(await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${state}`, key: writer.secret }), 403, 'FORBIDDEN_SCOPE');
    });

    test('oauth-status: a malformed state id is 400 VALIDATION (states are case-sensitive)', async () => {
      const { state } = (
        await ctx.call({ method: 'POST', url: `/v1/projects/${projectId}/social/oauth-url`, key: tenant.secret, body: { platform: 'instagram', returnUrl: RETURN_URL } })
      ).json();
      for (const malformed of ['st_123', 'abc', state.toLowerCase(), `${state}0`, state.slice('st_'.length), `evt_${state.slice(3)}`]) {
        expectError(await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${encodeURIComponent(malformed)}`, key: tenant.secret }), 400, 'VALIDATION');
      }
    });
  });
}
