import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { createEndpoint, getDelivery, sendTestPing, startReceiver, type Receiver } from './helpers.ts';

for (const engine of engines) {
  describe(`endpoint response bodies are kept truncated (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let receiver: Receiver;
    let body = '';
    let status = 500;
    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      receiver = await startReceiver(() => ({ status, body }));
    });
    after(async () => {
      await receiver.close();
      await ctx.close();
    });

    test('a 10 KB answer to a 500 is stored as at most 1,024 characters (its beginning)', async () => {
      body = `upstream exploded: ${'x'.repeat(10 * 1024)}`;
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      const queued = await sendTestPing(ctx, tenant.secret, endpoint.id);
      await ctx.deliveries.runOnce();
      const delivery = await getDelivery(ctx, tenant.secret, endpoint.id, queued.id);
      assert.equal(delivery.lastResponseStatus, 500);
      assert.ok(delivery.lastResponseBody !== null);
      assert.ok(delivery.lastResponseBody.length <= 1024, `stored ${delivery.lastResponseBody.length} characters`);
      assert.ok(delivery.lastResponseBody.length > 0);
      assert.ok(body.startsWith(delivery.lastResponseBody));
    });

    test('a short answer is kept whole, on success too', async () => {
      status = 200;
      body = '{"received":true}';
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      const queued = await sendTestPing(ctx, tenant.secret, endpoint.id);
      await ctx.deliveries.runOnce();
      const delivery = await getDelivery(ctx, tenant.secret, endpoint.id, queued.id);
      assert.equal(delivery.status, 'succeeded');
      assert.equal(delivery.lastResponseBody, body);
    });
  });
}
