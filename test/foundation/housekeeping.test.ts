import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { purgeExpired } from '../../src/housekeeping.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';

for (const engine of engines) {
  describe(`housekeeping (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
    });
    after(() => ctx.close());

    test('expired idempotency keys are purged; live ones stay and still replay', async () => {
      const body = { name: 'Purge me', timezone: 'UTC' };
      await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body, headers: { 'idempotency-key': 'old' } });
      ctx.clock.advance(23 * 60 * 60 * 1000);
      await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body, headers: { 'idempotency-key': 'fresh' } });
      ctx.clock.advance(60 * 60 * 1000 + 1);
      const purged = await purgeExpired(ctx.database.db, ctx.clock);
      assert.equal(purged.idempotencyRecords, 1);
      const replay = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body, headers: { 'idempotency-key': 'fresh' } });
      assert.equal(replay.headers['idempotent-replayed'], 'true');
    });

    test('OAuth states older than 7 days go, with their PKCE verifiers', async () => {
      const project = (await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'States', timezone: 'UTC' } })).json();
      const minted = await ctx.call({
        method: 'POST',
        url: `/v1/projects/${project.id}/social/oauth-url`,
        key: tenant.secret,
        body: { platform: 'tiktok', returnUrl: 'https://app.example.com/x' },
      });
      const state = minted.json().state as string;
      const storedState = () => ctx.database.db.selectFrom('oauth_states').select('sealed_code_verifier').where('id', '=', state).executeTakeFirst();
      assert.ok((await storedState())?.sealed_code_verifier, 'the state holds its sealed verifier');
      ctx.clock.advance(6 * 24 * 60 * 60 * 1000);
      await purgeExpired(ctx.database.db, ctx.clock);
      assert.equal((await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${state}`, key: tenant.secret })).json().status, 'expired');
      ctx.clock.advance(2 * 24 * 60 * 60 * 1000);
      const purged = await purgeExpired(ctx.database.db, ctx.clock);
      assert.equal(purged.oauthStates, 1);
      assert.equal((await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${state}`, key: tenant.secret })).statusCode, 404);
      assert.equal(await storedState(), undefined, 'the row, and the verifier sealed on it, are gone');
    });
  });
}
