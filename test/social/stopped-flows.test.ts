import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { killApiKey } from '../../src/api-keys/api-keys.ts';
import { setGlobalKillSwitch } from '../../src/organizations/global-kill-switch.ts';
import { setOrganizationSuspended } from '../../src/organizations/organizations.ts';
import { consent, followToCallback } from '../support/consent.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';

const RETURN_URL = 'https://app.example.com/back';

for (const engine of engines) {
  describe(`a consent started before a stop binds nothing (${engine})`, () => {
    let ctx: TestContext;
    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
    });
    after(() => ctx.close());

    async function mint(tenant: Tenant): Promise<{ authorizeUrl: string; state: string; projectId: string }> {
      const projectId = (await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Stoppable', timezone: 'UTC' } })).json().id;
      const minted = await ctx.call({ method: 'POST', url: `/v1/projects/${projectId}/social/oauth-url`, key: tenant.secret, body: { platform: 'tiktok', returnUrl: RETURN_URL } });
      return { ...minted.json(), projectId };
    }

    async function completeAndExpectRefusal(tenant: Tenant, flow: { authorizeUrl: string; state: string; projectId: string }, readWith: string) {
      const callback = await followToCallback(ctx, await consent(flow.authorizeUrl, { username: 'stopped_creator' }));
      assert.equal(callback.headers.location, `${RETURN_URL}?layers_oauth_error=STATE_EXPIRED`);
      const accounts = await ctx.database.db.selectFrom('social_accounts').select('id').where('project_id', '=', flow.projectId).execute();
      assert.equal(accounts.length, 0, 'no account was bound');
      const status = await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${flow.state}`, key: readWith });
      return status;
    }

    test('the minting key was killed', async () => {
      const tenant = await ctx.tenant();
      const flow = await mint(tenant);
      await killApiKey(ctx.database.db, ctx.clock, tenant.apiKeyId);
      const status = await completeAndExpectRefusal(tenant, flow, tenant.secret);
      assert.equal(status.statusCode, 503, 'the killed key itself reads nothing more');
      const row = await ctx.database.db.selectFrom('oauth_states').select(['status', 'error_code']).where('id', '=', flow.state).executeTakeFirstOrThrow();
      assert.deepEqual({ ...row }, { status: 'failed', error_code: 'STATE_EXPIRED' });
    });

    test('the organization was suspended', async () => {
      const tenant = await ctx.tenant();
      const flow = await mint(tenant);
      await setOrganizationSuspended(ctx.database.db, ctx.clock, tenant.organizationId, true);
      await completeAndExpectRefusal(tenant, flow, tenant.secret);
    });

    test('the whole partner API was switched off', async () => {
      const tenant = await ctx.tenant();
      const flow = await mint(tenant);
      await setGlobalKillSwitch(ctx.database.db, ctx.clock, true);
      try {
        await completeAndExpectRefusal(tenant, flow, tenant.secret);
      } finally {
        await setGlobalKillSwitch(ctx.database.db, ctx.clock, false);
      }
    });

    test('the project was archived', async () => {
      const tenant = await ctx.tenant();
      const flow = await mint(tenant);
      await ctx.call({ method: 'DELETE', url: `/v1/projects/${flow.projectId}`, key: tenant.secret });
      const status = await completeAndExpectRefusal(tenant, flow, tenant.secret);
      assert.equal(status.json().status, 'failed');
      assert.match(status.json().error.message, /archived/);
    });
  });
}
