import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { buildTestApp, createTestContext, type TestApp, type TestContext, type Tenant } from '../support/test-app.ts';
import { createEndpoint, listDeliveries, patchEndpoint, sendTestPing, startReceiver, type Receiver } from './helpers.ts';

const QUEUED = 200;

for (const engine of engines) {
  describe(`two delivery workers over one database (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let receiver: Receiver;
    let second: TestApp;
    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      // A few milliseconds per answer, so the two workers' batches overlap.
      receiver = await startReceiver(() => ({ status: 200, delayMs: Math.floor(Math.random() * 5) }));
      second = await buildTestApp(ctx.database, ctx.clock);
    });
    after(async () => {
      await second.close();
      await receiver.close();
      await ctx.close();
    });

    test(`${QUEUED} queued deliveries, both workers running at once: each is sent exactly once`, async () => {
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      // Paused while queueing, so every delivery is waiting when the workers start.
      await patchEndpoint(ctx, tenant.secret, endpoint.id, { status: 'paused' });
      const queued = new Set<string>();
      for (let i = 0; i < QUEUED; i++) queued.add((await sendTestPing(ctx, tenant.secret, endpoint.id)).id);
      await patchEndpoint(ctx, tenant.secret, endpoint.id, { status: 'active' });

      const [a, b] = await Promise.all([ctx.deliveries.runOnce(), second.deliveries.runOnce()]);
      assert.equal(a + b, QUEUED, `attempts made: ${a} + ${b}`);
      assert.ok(a > 0 && b > 0, `both workers sent some (${a} and ${b})`);

      const perDelivery = new Map<string, number>();
      for (const hook of receiver.received) perDelivery.set(hook.deliveryId, (perDelivery.get(hook.deliveryId) ?? 0) + 1);
      assert.equal(receiver.received.length, QUEUED, 'no delivery was sent twice');
      assert.equal(perDelivery.size, QUEUED);
      assert.deepEqual(new Set(perDelivery.keys()), queued);
      assert.equal(new Set(receiver.received.map((h) => h.eventId)).size, QUEUED, 'and no event twice');

      const listed = await listDeliveries(ctx, tenant.secret, endpoint.id);
      assert.equal(listed.length, QUEUED);
      assert.ok(listed.every((d) => d.status === 'succeeded' && d.attempts === 1));
      assert.deepEqual([await ctx.deliveries.runOnce(), await second.deliveries.runOnce()], [0, 0], 'nothing left to send');
    });
  });
}
