import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runConnect } from '../support/consent.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';

for (const engine of engines) {
  describe(`background refresh keeps accounts connected (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let projectId: string;
    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
      tenant = await ctx.tenant();
      projectId = (await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Refreshing', timezone: 'UTC' } })).json().id;
    });
    after(() => ctx.close());

    test('a TikTok account is refreshed once its refresh time comes, never before, and stays usable', async () => {
      const { state } = await runConnect(ctx, { secret: tenant.secret, projectId, platform: 'tiktok' }, { username: 'scheduled_one' });
      const id = (await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${state}`, key: tenant.secret })).json().socialAccountId as string;
      const health = async () => (await ctx.call({ method: 'GET', url: `/v1/social-accounts/${id}/health`, key: tenant.secret })).json();
      const first = await health();
      await fetch(`${ctx.emulatorUrl}/_control/requests`, { method: 'DELETE' });

      assert.equal(await ctx.tokenRefresh.runOnce(), 0, 'nothing is due right after connecting');
      ctx.clock.advance(Date.parse(first.token.nextRefreshAt) - ctx.clock.now().getTime() + 1);
      assert.equal(await ctx.tokenRefresh.runOnce(), 1);

      const refreshed = await health();
      assert.equal(refreshed.status, 'connected');
      assert.ok(refreshed.token.accessTokenExpiresAt > first.token.accessTokenExpiresAt);
      assert.ok(refreshed.token.nextRefreshAt > first.token.nextRefreshAt);
      assert.equal(refreshed.token.lastRefreshedAt, ctx.clock.now().toISOString());
      const log = (await (await fetch(`${ctx.emulatorUrl}/_control/requests`)).json()) as { requests: Array<{ grantType?: string }> };
      assert.equal(log.requests.filter((r) => r.grantType === 'refresh_token').length, 1);

      // The rotated refresh token was kept: the next refresh works too.
      ctx.clock.advance(Date.parse(refreshed.token.nextRefreshAt) - ctx.clock.now().getTime() + 1);
      assert.equal(await ctx.tokenRefresh.runOnce(), 1);
      assert.equal((await health()).status, 'connected');
    });
  });
}
