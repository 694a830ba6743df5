import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { createEndpoint, getEndpoint, listDeliveries, patchEndpoint, sendTestPing, startReceiver, type EndpointView, type Receiver } from './helpers.ts';

const HOUR = 3_600_000;

for (const engine of engines) {
  describe(`endpoint auto-pause after 20 consecutive failures (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let receiver: Receiver;
    let status = 500;
    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      receiver = await startReceiver(() => status);
    });
    after(async () => {
      await receiver.close();
      await ctx.close();
    });

    test('19 failures keep it active; the 20th auto-pauses it; its queue waits unsent; PATCH status active resumes and the queue is sent', async () => {
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      for (let i = 0; i < 19; i++) await sendTestPing(ctx, tenant.secret, endpoint.id);
      await ctx.deliveries.runOnce();
      assert.equal(receiver.received.length, 19);
      let view = await getEndpoint(ctx, tenant.secret, endpoint.id);
      assert.equal(view.status, 'active');
      assert.equal(view.consecutiveFailures, 19);

      await sendTestPing(ctx, tenant.secret, endpoint.id);
      await ctx.deliveries.runOnce();
      assert.equal(receiver.received.length, 20);
      view = await getEndpoint(ctx, tenant.secret, endpoint.id);
      assert.equal(view.status, 'auto_paused');
      assert.equal(view.consecutiveFailures, 20);
      const listed = (await ctx.call({ method: 'GET', url: '/v1/webhook-endpoints?status=auto_paused', key: tenant.secret })).json() as { items: EndpointView[] };
      assert.deepEqual(listed.items.map((e) => e.id), [endpoint.id]);

      // New events still queue for it, and nothing is sent while it is paused — not even retries that come due.
      const waiting = [await sendTestPing(ctx, tenant.secret, endpoint.id), await sendTestPing(ctx, tenant.secret, endpoint.id)];
      for (const d of waiting) assert.equal(d.status, 'pending');
      ctx.clock.advance(3 * HOUR);
      assert.equal(await ctx.deliveries.runOnce(), 0);
      assert.equal(receiver.received.length, 20, 'an auto-paused endpoint receives nothing');
      assert.equal((await listDeliveries(ctx, tenant.secret, endpoint.id, 'status=pending')).length, 22);

      status = 200;
      const resumed = await patchEndpoint(ctx, tenant.secret, endpoint.id, { status: 'active' });
      assert.equal(resumed.status, 'active');
      assert.equal(resumed.consecutiveFailures, 0);
      await ctx.deliveries.runOnce();
      const seen = new Set(receiver.received.slice(20).map((h) => h.deliveryId));
      for (const d of waiting) assert.ok(seen.has(d.id), `queued delivery ${d.id} is sent after resuming`);
      assert.equal(receiver.received.length, 20 + 22, 'the 20 failed ones (due for retry) and the 2 queued ones, once each');
      assert.equal((await listDeliveries(ctx, tenant.secret, endpoint.id, 'status=pending')).length, 0);
      assert.equal((await listDeliveries(ctx, tenant.secret, endpoint.id, 'status=succeeded')).length, 22);
      assert.equal((await getEndpoint(ctx, tenant.secret, endpoint.id)).status, 'active');
    });

    test('a success in between resets the count: failures must be consecutive', async () => {
      let n = 0;
      const flaky = await startReceiver(() => (++n % 10 === 0 ? 200 : 500));
      try {
        const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: flaky.url, events: ['test.ping'] });
        for (let i = 0; i < 10; i++) await sendTestPing(ctx, tenant.secret, endpoint.id);
        await ctx.deliveries.runOnce();
        for (let i = 0; i < 10; i++) await sendTestPing(ctx, tenant.secret, endpoint.id);
        await ctx.deliveries.runOnce();
        assert.equal(flaky.received.length, 20);
        const view = await getEndpoint(ctx, tenant.secret, endpoint.id);
        assert.equal(view.status, 'active', '18 failures with successes between them do not pause');
        assert.ok(view.consecutiveFailures < 20);
      } finally {
        await flaky.close();
      }
    });

    test("successes of several endpoints, written together, reset each endpoint's count", async () => {
      status = 500;
      const endpoints = await Promise.all([1, 2, 3].map(async () => (await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] })).endpoint));
      for (const endpoint of endpoints) await sendTestPing(ctx, tenant.secret, endpoint.id);
      await ctx.deliveries.runOnce();
      for (const endpoint of endpoints) assert.equal((await getEndpoint(ctx, tenant.secret, endpoint.id)).consecutiveFailures, 1);

      status = 200;
      for (const endpoint of endpoints) await sendTestPing(ctx, tenant.secret, endpoint.id);
      assert.equal(await ctx.deliveries.runOnce(), 3, 'the failed ones are not due yet; the new ones are');
      for (const endpoint of endpoints) {
        assert.equal((await getEndpoint(ctx, tenant.secret, endpoint.id)).consecutiveFailures, 0, `endpoint ${endpoint.id}`);
        assert.equal((await listDeliveries(ctx, tenant.secret, endpoint.id, 'status=succeeded')).length, 1);
      }
    });

    test('a paused endpoint (by the partner) keeps its queue until it is made active', async () => {
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      await patchEndpoint(ctx, tenant.secret, endpoint.id, { status: 'paused' });
      const queued = await sendTestPing(ctx, tenant.secret, endpoint.id);
      await ctx.deliveries.runOnce();
      assert.ok(!receiver.received.some((h) => h.deliveryId === queued.id));
      await patchEndpoint(ctx, tenant.secret, endpoint.id, { status: 'active' });
      await ctx.deliveries.runOnce();
      assert.equal(receiver.received.filter((h) => h.deliveryId === queued.id).length, 1);
    });
  });
}
