import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DeliveryView } from '../../src/webhooks/deliveries.ts';
import { expectError } from '../foundation/helpers.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { verifySignature } from '../support/webhook-receiver.ts';
import { createEndpoint, listDeliveries, sendTestPing, startReceiver, type Receiver } from './helpers.ts';

for (const engine of engines) {
  describe(`delivery replay (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let other: Tenant;
    let receiver: Receiver;
    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      other = await ctx.tenant({ orgName: 'Other Org' });
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      await ctx.close();
    });

    const replay = (deliveryId: string, secret = tenant.secret) => ctx.call({ method: 'POST', url: `/v1/webhook-deliveries/${deliveryId}/replay`, key: secret });

    test('replay sends the same data as a NEW event whose body names the original in replayOf; the list shows both deliveries', async () => {
      const { endpoint, signingSecret } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      const original = await sendTestPing(ctx, tenant.secret, endpoint.id);
      await ctx.deliveries.runOnce();
      const first = receiver.received.at(-1);
      assert.ok(first);
      assert.equal(first.body.replayOf, undefined);

      ctx.clock.advance(60_000);
      const res = await replay(original.id);
      assert.equal(res.statusCode, 202, res.body);
      const replayed = res.json() as DeliveryView;
      assert.notEqual(replayed.id, original.id);
      assert.notEqual(replayed.eventId, original.eventId);
      assert.equal(replayed.endpointId, endpoint.id);
      assert.equal(replayed.eventType, 'test.ping');
      assert.equal(replayed.status, 'pending');
      await ctx.deliveries.runOnce();

      const hook = receiver.received.at(-1);
      assert.ok(hook && hook !== first);
      assert.match(hook.body.id, /^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
      assert.equal(hook.eventId, hook.body.id);
      assert.equal(hook.eventId, replayed.eventId);
      assert.notEqual(hook.eventId, first.eventId, 'a receiver deduping on X-Layers-Event-Id still processes a replay');
      assert.equal(hook.body.replayOf, original.eventId);
      assert.equal(hook.body.type, 'test.ping');
      assert.deepEqual(hook.body.data, first.body.data);
      assert.ok(verifySignature(String(hook.headers['x-layers-signature']), hook.rawBody, signingSecret, Math.floor(ctx.clock.now().getTime() / 1000)));

      const deliveries = await listDeliveries(ctx, tenant.secret, endpoint.id);
      assert.deepEqual(deliveries.map((d) => d.id).sort(), [original.id, replayed.id].sort());
      assert.ok(deliveries.every((d) => d.status === 'succeeded'));
      assert.equal(deliveries[0]?.id, replayed.id, 'newest first');
    });

    test('replaying a replay still names the first event; a failed delivery can be replayed', async () => {
      let status = 400;
      const failing = await startReceiver(() => status);
      try {
        const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: failing.url, events: ['test.ping'] });
        const original = await sendTestPing(ctx, tenant.secret, endpoint.id);
        await ctx.deliveries.runOnce();
        const failed = (await listDeliveries(ctx, tenant.secret, endpoint.id)).find((d) => d.id === original.id);
        assert.equal(failed?.status, 'failed');

        status = 200;
        const once = (await replay(original.id)).json() as DeliveryView;
        const twice = await replay(once.id);
        assert.equal(twice.statusCode, 202, twice.body);
        await ctx.deliveries.runOnce();
        const bodies = failing.received.slice(1).map((h) => h.body);
        assert.equal(bodies.length, 2);
        assert.ok(bodies.every((b) => b.replayOf === original.eventId));
        assert.equal(new Set([original.eventId, ...bodies.map((b) => b.id)]).size, 3, 'three distinct event ids');
      } finally {
        await failing.close();
      }
    });

    test("replay of another organization's delivery → 404, and nothing is sent; an unknown delivery → 404", async () => {
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      const delivery = await sendTestPing(ctx, tenant.secret, endpoint.id);
      await ctx.deliveries.runOnce();
      const count = receiver.received.length;
      expectError(await replay(delivery.id, other.secret), 404, 'NOT_FOUND');
      expectError(await replay('wd_00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
      await ctx.deliveries.runOnce();
      assert.equal(receiver.received.length, count);
      assert.equal((await listDeliveries(ctx, tenant.secret, endpoint.id)).length, 1);
    });

    test('replay of a deleted endpoint’s delivery → 404', async () => {
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      const delivery = await sendTestPing(ctx, tenant.secret, endpoint.id);
      await ctx.deliveries.runOnce();
      assert.equal((await ctx.call({ method: 'DELETE', url: `/v1/webhook-endpoints/${endpoint.id}`, key: tenant.secret })).statusCode, 200);
      expectError(await replay(delivery.id), 404, 'NOT_FOUND');
    });
  });
}
