import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { expectError, expectIssuePaths, insertAccount, newProject } from '../social/helpers.ts';

for (const engine of engines) {
  describe(`metrics routes refuse bad input with the documented 4xx (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let projectId: string;
    let accountId: string;
    let otherProjectAccountId: string;
    let foreignProjectId: string;
    let foreignAccountId: string;

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      projectId = await newProject(ctx, tenant.secret);
      accountId = await insertAccount(ctx, { organizationId: tenant.organizationId, projectId, platform: 'tiktok' });
      const otherProjectId = await newProject(ctx, tenant.secret, 'Other app');
      otherProjectAccountId = await insertAccount(ctx, { organizationId: tenant.organizationId, projectId: otherProjectId, platform: 'tiktok' });
      const foreign = await ctx.tenant({ orgName: 'Someone else' });
      foreignProjectId = await newProject(ctx, foreign.secret);
      foreignAccountId = await insertAccount(ctx, { organizationId: foreign.organizationId, projectId: foreignProjectId, platform: 'tiktok' });
    });
    after(() => ctx.close());

    const metrics = (query: string, project = () => projectId) => ctx.call({ method: 'GET', url: `/v1/projects/${project()}/metrics?${query}`, key: tenant.secret });
    const top = (query: string, project = () => projectId) => ctx.call({ method: 'GET', url: `/v1/projects/${project()}/top-performers?${query}`, key: tenant.secret });

    it('422 for an unknown scope or metric, a metric the scope cannot have, a malformed id, an unknown parameter', async () => {
      assert.deepEqual(expectIssuePaths(await metrics(`scope=campaign&id=${projectId}`)), ['scope']);
      assert.deepEqual(expectIssuePaths(await metrics(`scope=project&id=${projectId}&metrics=impressions`)), ['metrics']);
      assert.deepEqual(expectIssuePaths(await metrics(`scope=platform_post&id=sp_${randomUUID()}&metrics=views&metrics=followers`)), ['metrics']);
      assert.deepEqual(expectIssuePaths(await metrics(`scope=social_account&id=${projectId}`)), ['id']);
      assert.deepEqual(expectIssuePaths(await metrics('scope=project')), ['id']);
      assert.deepEqual(expectIssuePaths(await metrics(`scope=project&id=${projectId}&granularity=month`)), ['granularity']);
      assert.deepEqual(expectIssuePaths(await metrics(`scope=project&id=${projectId}&timezone=UTC`)), ['timezone']);
    });

    it('422 for a window that runs backwards, spans more than 366 days, or is hourly beyond 31 days', async () => {
      assert.deepEqual(expectIssuePaths(await metrics(`scope=project&id=${projectId}&since=2026-11-20T00:00:00Z&until=2026-11-10T00:00:00Z`)), ['since']);
      assert.deepEqual(expectIssuePaths(await metrics(`scope=project&id=${projectId}&since=2026-11-20T00:00:00Z&until=2026-11-20T00:00:00Z`)), ['since']);
      assert.deepEqual(expectIssuePaths(await metrics(`scope=project&id=${projectId}&since=2025-01-01T00:00:00Z&until=2026-11-20T00:00:00Z`)), ['until']);
      assert.deepEqual(expectIssuePaths(await metrics(`scope=project&id=${projectId}&since=2026-10-01T00:00:00Z&granularity=hour`)), ['granularity']);
      assert.deepEqual(expectIssuePaths(await metrics(`scope=project&id=${projectId}&since=yesterday`)), ['since']);
      // The edges themselves are allowed: 366 days by the week, 31 days by the hour (745 buckets at most).
      const weekly = await metrics(`scope=project&id=${projectId}&since=2025-11-20T00:00:00Z&until=2026-11-21T00:00:00Z&granularity=week`);
      assert.equal(weekly.statusCode, 200, weekly.body);
      const hourly = await metrics(`scope=project&id=${projectId}&since=2026-10-20T00:30:00Z&until=2026-11-20T00:30:00Z&granularity=hour`);
      assert.equal(hourly.statusCode, 200, hourly.body);
      assert.equal((hourly.json() as { series: unknown[] }).series.length, 745);
    });

    it('404 for ids of another project or organization, and for posts that were never published', async () => {
      expectError(await metrics(`scope=project&id=${foreignProjectId}`), 404, 'NOT_FOUND');
      expectError(await metrics(`scope=project&id=${foreignProjectId}`, () => foreignProjectId), 404, 'NOT_FOUND');
      expectError(await metrics(`scope=social_account&id=${foreignAccountId}`), 404, 'NOT_FOUND');
      expectError(await metrics(`scope=social_account&id=${otherProjectAccountId}`), 404, 'NOT_FOUND');
      expectError(await metrics(`scope=platform_post&id=sp_${randomUUID()}`), 404, 'NOT_FOUND');
      expectError(await top('metric=views', () => foreignProjectId), 404, 'NOT_FOUND');
    });

    it('an account never synced reads null throughout, not zeros', async () => {
      const res = await metrics(`scope=social_account&id=${accountId}&metrics=views&metrics=followers&metrics=posts_published`);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json() as { series: Array<{ values: Record<string, number | null> }>; totals: Record<string, number | null> };
      assert.ok(body.series.length >= 30);
      assert.ok(body.series.every((bucket) => bucket.values['views'] === null && bucket.values['followers'] === null && bucket.values['posts_published'] === 0));
      assert.deepEqual(body.totals, { views: null, followers: null, posts_published: 0 });
    });

    it('top performers: 422 for a missing or unknown metric, window, platform or limit', async () => {
      assert.deepEqual(expectIssuePaths(await top('')), ['metric']);
      assert.deepEqual(expectIssuePaths(await top('metric=likes')), ['metric']);
      assert.deepEqual(expectIssuePaths(await top('metric=views&window=365d')), ['window']);
      assert.deepEqual(expectIssuePaths(await top('metric=views&platform=myspace')), ['platform']);
      assert.deepEqual(expectIssuePaths(await top('metric=views&limit=0')), ['limit']);
      assert.deepEqual(expectIssuePaths(await top('metric=views&limit=101')), ['limit']);
    });

    it('a key without metrics:read gets 403', async () => {
      const key = await ctx.key(tenant.organizationId, { scopes: ['projects:read'] });
      const res = await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/metrics?scope=project&id=${projectId}`, key: key.secret });
      assert.equal(expectError(res, 403, 'FORBIDDEN_SCOPE')['requiredScope'], 'metrics:read');
    });
  });
}
