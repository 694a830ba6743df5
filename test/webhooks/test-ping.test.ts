import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DeliveryView } from '../../src/webhooks/deliveries.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { createEndpoint, createProject, listDeliveries, startReceiver, type Receiver } from './helpers.ts';

for (const engine of engines) {
  describe(`POST /v1/webhook-endpoints/:id/test (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let receiver: Receiver;
    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      await ctx.close();
    });

    test('→ 202 with a pending delivery; the receiver gets test.ping with data.endpointId although the endpoint does not subscribe to it', async () => {
      const projectId = await createProject(ctx, tenant.secret);
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['post.published'], projectId });
      const res = await ctx.call({ method: 'POST', url: `/v1/webhook-endpoints/${endpoint.id}/test`, key: tenant.secret });
      assert.equal(res.statusCode, 202, res.body);
      const delivery = res.json() as DeliveryView;
      assert.match(delivery.id, /^wd_/);
      assert.equal(delivery.endpointId, endpoint.id);
      assert.equal(delivery.eventType, 'test.ping');
      assert.equal(delivery.status, 'pending');
      assert.equal(delivery.attempts, 0);
      assert.match(delivery.eventId, /^evt_[0-9A-HJKMNP-TV-Z]{26}$/);

      await ctx.deliveries.runOnce();
      assert.equal(receiver.received.length, 1);
      const hook = receiver.received[0];
      assert.ok(hook);
      assert.equal(hook.body.type, 'test.ping');
      assert.equal(hook.body.id, delivery.eventId);
      assert.equal(hook.deliveryId, delivery.id);
      assert.equal(hook.body.data.endpointId, endpoint.id);
      assert.equal(hook.body.data.projectId, projectId);
      assert.equal(hook.body.createdAt, ctx.clock.now().toISOString());
      assert.deepEqual(Object.keys(hook.body).sort(), ['createdAt', 'data', 'id', 'type']);

      const [listed] = await listDeliveries(ctx, tenant.secret, endpoint.id);
      assert.equal(listed?.id, delivery.id);
      assert.equal(listed?.status, 'succeeded');
      assert.equal(listed?.attempts, 1);
      assert.equal(listed?.lastResponseStatus, 200);
      assert.equal(listed?.lastAttemptAt, ctx.clock.now().toISOString());
      assert.equal((await listDeliveries(ctx, tenant.secret, endpoint.id, 'eventType=test.ping')).length, 1);
      assert.equal((await listDeliveries(ctx, tenant.secret, endpoint.id, 'eventType=post.published')).length, 0);
    });

    test('a test ping goes only to the endpoint tested, not to other endpoints subscribed to test.ping', async () => {
      const bystander = await startReceiver();
      try {
        await createEndpoint(ctx, tenant.secret, { url: bystander.url, events: ['test.ping'] });
        const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
        const count = receiver.received.length;
        await ctx.call({ method: 'POST', url: `/v1/webhook-endpoints/${endpoint.id}/test`, key: tenant.secret });
        await ctx.deliveries.runOnce();
        assert.equal(receiver.received.length, count + 1);
        assert.equal(receiver.received.at(-1)?.body.data.endpointId, endpoint.id);
        assert.equal(receiver.received.at(-1)?.body.data.projectId, null, 'an org-wide endpoint has no project');
        assert.deepEqual(bystander.received, []);
      } finally {
        await bystander.close();
      }
    });
  });
}
