import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runConnect } from '../support/consent.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';

for (const engine of engines) {
  describe(`an archived project (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
      tenant = await ctx.tenant();
    });
    after(() => ctx.close());

    test('keeps its accounts readable but starts no connect or reauth flow until restored', async () => {
      const projectId = (await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Seasonal', timezone: 'UTC' } })).json().id;
      const { state } = await runConnect(ctx, { secret: tenant.secret, projectId, platform: 'tiktok' }, { username: 'seasonal_one' });
      const socialAccountId = (await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${state}`, key: tenant.secret })).json().socialAccountId;
      assert.equal((await ctx.call({ method: 'DELETE', url: `/v1/projects/${projectId}`, key: tenant.secret })).json().status, 'archived');

      const returnUrl = 'https://app.example.com/back';
      const connect = await ctx.call({ method: 'POST', url: `/v1/projects/${projectId}/social/oauth-url`, key: tenant.secret, body: { platform: 'tiktok', returnUrl } });
      assert.equal(connect.statusCode, 409);
      assert.equal(connect.json().error.code, 'CONFLICT');
      assert.equal(connect.json().error.details.currentStatus, 'archived');
      const reauth = await ctx.call({ method: 'POST', url: `/v1/projects/${projectId}/social/reauth-url`, key: tenant.secret, body: { socialAccountId, returnUrl } });
      assert.equal(reauth.statusCode, 409);
      const list = await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/social-accounts`, key: tenant.secret });
      assert.equal(list.json().items[0].socialAccountId, socialAccountId);

      await ctx.call({ method: 'PATCH', url: `/v1/projects/${projectId}`, key: tenant.secret, body: { status: 'active' } });
      const restored = await ctx.call({ method: 'POST', url: `/v1/projects/${projectId}/social/reauth-url`, key: tenant.secret, body: { socialAccountId, returnUrl } });
      assert.equal(restored.statusCode, 200);
    });
  });
}
