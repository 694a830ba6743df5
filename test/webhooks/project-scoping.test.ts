import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runConnect } from '../support/consent.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { createEndpoint, createProject, startReceiver, type Receiver } from './helpers.ts';

for (const engine of engines) {
  describe(`project-scoped endpoints (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let other: Tenant;
    const receivers: Receiver[] = [];
    before(async () => {
      ctx = await createTestContext(engine, { emulator: true });
      tenant = await ctx.tenant();
      other = await ctx.tenant({ orgName: 'Other Org' });
    });
    after(async () => {
      await Promise.all(receivers.map((r) => r.close()));
      await ctx.close();
    });

    async function receiver(): Promise<Receiver> {
      const r = await startReceiver();
      receivers.push(r);
      return r;
    }

    async function connect(secret: string, projectId: string, username: string): Promise<void> {
      const { callback, returnUrl } = await runConnect(ctx, { secret, projectId, platform: 'tiktok' }, { username });
      assert.equal(callback.statusCode, 302, callback.body);
      assert.equal(callback.headers.location, returnUrl, 'the connect succeeded');
    }

    test("an endpoint with projectId gets only that project's events; an org-wide one gets both; another org's gets none", async () => {
      const alpha = await createProject(ctx, tenant.secret, 'Alpha app');
      const beta = await createProject(ctx, tenant.secret, 'Beta app');
      const theirProject = await createProject(ctx, other.secret, 'Their app');
      const events = ['social_account.connected'];
      const [alphaOnly, betaOnly, orgWide, otherOrg, unsubscribed] = await Promise.all([receiver(), receiver(), receiver(), receiver(), receiver()]);
      await createEndpoint(ctx, tenant.secret, { url: alphaOnly.url, events, projectId: alpha });
      await createEndpoint(ctx, tenant.secret, { url: betaOnly.url, events, projectId: beta });
      await createEndpoint(ctx, tenant.secret, { url: orgWide.url, events });
      await createEndpoint(ctx, other.secret, { url: otherOrg.url, events });
      await createEndpoint(ctx, tenant.secret, { url: unsubscribed.url, events: ['social_account.revoked', 'test.ping'] });

      await connect(tenant.secret, alpha, 'alpha_creator');
      await connect(tenant.secret, beta, 'beta_creator');
      await ctx.deliveries.runOnce();

      const projects = (r: Receiver) => r.received.map((h) => [h.body.type, h.body.data.projectId, h.body.data.handle]);
      assert.deepEqual(projects(alphaOnly), [['social_account.connected', alpha, 'alpha_creator']]);
      assert.deepEqual(projects(betaOnly), [['social_account.connected', beta, 'beta_creator']]);
      assert.deepEqual(projects(orgWide).sort(), [
        ['social_account.connected', alpha, 'alpha_creator'],
        ['social_account.connected', beta, 'beta_creator'],
      ].sort());
      assert.deepEqual(otherOrg.received, [], "another organization's endpoint sees none of these");
      assert.deepEqual(unsubscribed.received, [], 'an endpoint not subscribed to the type gets nothing');
      assert.ok(
        orgWide.received.some((h) => h.eventId === alphaOnly.received[0]?.eventId),
        'one event fans out to every matching endpoint under the same event id',
      );

      await connect(other.secret, theirProject, 'their_creator');
      await ctx.deliveries.runOnce();
      assert.deepEqual(projects(otherOrg), [['social_account.connected', theirProject, 'their_creator']]);
      assert.equal(alphaOnly.received.length + betaOnly.received.length + orgWide.received.length, 4, "the other organization's event reaches none of ours");
    });
  });
}
