import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REAUTH_ELIGIBLE } from '../../src/platforms/registry.ts';
import { engines } from '../support/engines.ts';
import { consent, followToCallback, runConnect } from '../support/consent.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';

for (const engine of engines) {
  for (const platform of REAUTH_ELIGIBLE) {
    describe(`connect and reauth on ${platform} (${engine})`, () => {
      let ctx: TestContext;
      let tenant: Tenant;
      let projectId: string;
      before(async () => {
        ctx = await createTestContext(engine, { emulator: true });
        tenant = await ctx.tenant();
        const project = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Creator app', timezone: 'UTC' } });
        projectId = project.json().id;
      });
      after(() => ctx.close());

      test('connect, revoke upstream, detect with a live check, reauth back to the same id', async () => {
        const username = `${platform}_star`;
        const { callback, state, returnUrl } = await runConnect(ctx, { secret: tenant.secret, projectId, platform }, { username });
        assert.equal(callback.statusCode, 302);
        assert.equal(callback.headers.location, returnUrl, 'back to returnUrl with no added parameters');

        const status = (await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${state}`, key: tenant.secret })).json();
        assert.equal(status.status, 'completed');
        assert.equal(status.kind, 'connect');
        const socialAccountId = status.socialAccountId as string;
        assert.match(socialAccountId, /^sa_[0-9a-f-]{36}$/);

        const list = (await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/social-accounts`, key: tenant.secret })).json();
        assert.equal(list.items.length, 1);
        const account = list.items[0];
        assert.equal(account.socialAccountId, socialAccountId);
        assert.equal(account.status, 'connected');
        assert.equal(account.handle, username);
        assert.ok(account.avatarUrl.startsWith('http://127.0.0.1:8080/media/med_'), account.avatarUrl);
        const avatar = await ctx.app.inject({ method: 'GET', url: new URL(account.avatarUrl).pathname });
        assert.equal(avatar.statusCode, 200);
        assert.equal(avatar.headers['content-type'], 'image/png');

        const revoke = await fetch(`${ctx.emulatorUrl}/_control/users/${platform}/${username}/revoke`, { method: 'POST' });
        assert.equal(revoke.status, 200);
        const health = await ctx.call({ method: 'GET', url: `/v1/social-accounts/${socialAccountId}/health?check=live`, key: tenant.secret });
        assert.equal(health.statusCode, 200, health.body);
        assert.equal(health.json().status, 'reauth_required');
        assert.equal(health.json().needsReauth, true);
        assert.equal(health.json().reauthReason, 'token_revoked');

        const reauth = await ctx.call({
          method: 'POST',
          url: `/v1/projects/${projectId}/social/reauth-url`,
          key: tenant.secret,
          body: { socialAccountId, returnUrl },
        });
        assert.equal(reauth.statusCode, 200, reauth.body);
        const back = await followToCallback(ctx, await consent(reauth.json().authorizeUrl, { username }));
        assert.equal(back.headers.location, returnUrl);
        const reauthStatus = (await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${reauth.json().state}`, key: tenant.secret })).json();
        assert.equal(reauthStatus.status, 'completed');
        assert.equal(reauthStatus.kind, 'reauth');
        assert.equal(reauthStatus.socialAccountId, socialAccountId);

        const after = (await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/social-accounts`, key: tenant.secret })).json();
        assert.equal(after.items.length, 1, 'no second account');
        assert.equal(after.items[0].socialAccountId, socialAccountId);
        assert.equal(after.items[0].status, 'connected');
        assert.equal(after.items[0].reauthReason, null);
        assert.equal(after.items[0].connectedAt, account.connectedAt);
        const healthy = await ctx.call({ method: 'GET', url: `/v1/social-accounts/${socialAccountId}/health?check=live`, key: tenant.secret });
        assert.equal(healthy.json().status, 'connected');
      });
    });
  }
}
