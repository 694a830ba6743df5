import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { consent, followToCallback, runConnect } from '../support/consent.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { startWebhookReceiver, verifySignature } from '../support/webhook-receiver.ts';

for (const engine of engines) {
  describe(`social-account events reach a subscribed endpoint (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let projectId: string;
    let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
    let signingSecret: string;
    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
      tenant = await ctx.tenant();
      receiver = await startWebhookReceiver();
      projectId = (await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Hooked app', timezone: 'UTC' } })).json().id;
      const created = await ctx.call({
        method: 'POST',
        url: '/v1/webhook-endpoints',
        key: tenant.secret,
        body: { url: receiver.url, events: ['social_account.connected', 'social_account.needs_reauth', 'social_account.revoked'] },
      });
      assert.equal(created.statusCode, 201, created.body);
      signingSecret = created.json().signingSecret;
      assert.match(signingSecret, /^whsec_/);
    });
    after(async () => {
      await receiver.close();
      await ctx.close();
    });

    test('connect, needs_reauth, reconnect and revoke arrive in order, signed', async () => {
      const username = 'hooked_creator';
      await runConnect(ctx, { secret: tenant.secret, projectId, platform: 'tiktok' }, { username });
      await ctx.deliveries.runOnce();
      const socialAccountId = receiver.received[0]?.body.data.socialAccountId as string;

      await fetch(`${ctx.emulatorUrl}/_control/users/tiktok/${username}/revoke`, { method: 'POST' });
      await ctx.call({ method: 'GET', url: `/v1/social-accounts/${socialAccountId}/health?check=live`, key: tenant.secret });
      await ctx.deliveries.runOnce();

      const reauth = await ctx.call({
        method: 'POST',
        url: `/v1/projects/${projectId}/social/reauth-url`,
        key: tenant.secret,
        body: { socialAccountId, returnUrl: 'https://app.example.com/back' },
      });
      await followToCallback(ctx, await consent(reauth.json().authorizeUrl, { username }));
      await ctx.deliveries.runOnce();
      await ctx.call({ method: 'DELETE', url: `/v1/social-accounts/${socialAccountId}`, key: tenant.secret });
      await ctx.deliveries.runOnce();

      const seen = receiver.received.map((r) => [r.body.type, r.body.data.operation ?? r.body.data.reauthReason ?? r.body.data.status]);
      assert.deepEqual(seen, [
        ['social_account.connected', 'creation'],
        ['social_account.needs_reauth', 'token_revoked'],
        ['social_account.connected', 'reconnect'],
        ['social_account.revoked', 'disconnected'],
      ]);
      const now = Math.floor(ctx.clock.now().getTime() / 1000);
      for (const hook of receiver.received) {
        assert.equal(hook.headers['x-layers-event-id'], hook.body.id);
        assert.match(hook.body.id, /^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
        assert.equal(hook.body.data.projectId, projectId);
        assert.equal(hook.body.data.socialAccountId, socialAccountId);
        assert.ok(verifySignature(String(hook.headers['x-layers-signature']), hook.rawBody, signingSecret, now));
        assert.ok(!verifySignature(String(hook.headers['x-layers-signature']), hook.rawBody, 'whsec_wrong', now));
      }
    });
  });
}
