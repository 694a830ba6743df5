import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PLATFORMS, REAUTH_ELIGIBLE } from '../../src/platforms/registry.ts';
import { engines } from '../support/engines.ts';
import { consent, followToCallback, runConnect } from '../support/consent.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

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

/**
 * On every platform, and the only way back where reauth-url is not offered: the same person
 * consenting through oauth-url again finds their account in the project and reconnects it, keeping
 * its socialAccountId (docs/reference/social-accounts.md).
 */
for (const engine of engines) {
  for (const platform of PLATFORMS) {
    describe(`reconnect through oauth-url on ${platform} (${engine})`, () => {
      let ctx: TestContext;
      let tenant: Tenant;
      let projectId: string;
      let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
      before(async () => {
        ctx = await createTestContext(engine, { emulator: true });
        tenant = await ctx.tenant();
        projectId = (await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Creator app', timezone: 'UTC' } })).json().id;
        receiver = await startWebhookReceiver();
        const subscribed = await ctx.call({
          method: 'POST',
          url: '/v1/webhook-endpoints',
          key: tenant.secret,
          body: { url: receiver.url, projectId, events: ['social_account.connected', 'social_account.needs_reauth', 'social_account.revoked'] },
        });
        assert.equal(subscribed.statusCode, 201, subscribed.body);
      });
      after(async () => {
        await receiver.close();
        await ctx.close();
      });

      test('connect, revoke upstream, detect with a live check, oauth-url as the same person: the same id, announced as a reconnect', async () => {
        const username = `${platform}_again`;
        const first = await runConnect(ctx, { secret: tenant.secret, projectId, platform }, { username });
        assert.equal(first.callback.headers.location, first.returnUrl);
        const socialAccountId = (await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${first.state}`, key: tenant.secret })).json().socialAccountId as string;
        const connectedAt = (await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/social-accounts`, key: tenant.secret })).json().items[0].connectedAt;

        assert.equal((await fetch(`${ctx.emulatorUrl}/_control/users/${platform}/${username}/revoke`, { method: 'POST' })).status, 200);
        const health = await ctx.call({ method: 'GET', url: `/v1/social-accounts/${socialAccountId}/health?check=live`, key: tenant.secret });
        assert.equal(health.json().status, 'reauth_required', health.body);
        assert.equal(health.json().reauthReason, 'token_revoked');

        ctx.clock.advance(60_000);
        const again = await runConnect(ctx, { secret: tenant.secret, projectId, platform }, { username });
        assert.equal(again.callback.statusCode, 302);
        assert.equal(again.callback.headers.location, again.returnUrl, 'back to returnUrl with no added parameters');
        const status = (await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${again.state}`, key: tenant.secret })).json();
        assert.equal(status.status, 'completed');
        assert.equal(status.kind, 'connect');
        assert.equal(status.socialAccountId, socialAccountId, 'the same account, not a new one');

        const list = (await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/social-accounts`, key: tenant.secret })).json();
        assert.equal(list.items.length, 1);
        assert.equal(list.items[0].socialAccountId, socialAccountId);
        assert.equal(list.items[0].status, 'connected');
        assert.equal(list.items[0].reauthReason, null);
        assert.equal(list.items[0].handle, username);
        assert.equal(list.items[0].connectedAt, connectedAt);
        assert.equal((await ctx.call({ method: 'GET', url: `/v1/social-accounts/${socialAccountId}/health?check=live`, key: tenant.secret })).json().status, 'connected');

        await ctx.deliveries.runOnce();
        assert.deepEqual(
          receiver.received.map((hook) => [hook.body.type, hook.body.data.operation ?? hook.body.data.reauthReason, hook.body.data.socialAccountId]),
          [
            ['social_account.connected', 'creation', socialAccountId],
            ['social_account.needs_reauth', 'token_revoked', socialAccountId],
            ['social_account.connected', 'reconnect', socialAccountId],
          ],
        );
      });
    });
  }
}
