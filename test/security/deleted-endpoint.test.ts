import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { createEndpoint, patchEndpoint, sendTestPing, startReceiver, type Receiver } from '../webhooks/helpers.ts';

/**
 * Finding 8: a deleted webhook endpoint kept receiving the deliveries already queued in its chain
 * (4 seen after DELETE returned): the worker read the endpoint once per chain. Whether an endpoint
 * may still receive is now read right before each attempt.
 */
for (const engine of engines) {
  describe(`nothing is sent to an endpoint after its DELETE answered (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let receiver: Receiver;
    let firstArrived: () => void = () => {};
    let release: () => void = () => {};

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      // The first request is held until the test releases it; the others are answered at once.
      receiver = await startReceiver(async () => {
        if (receiver.received.length === 1) {
          firstArrived();
          await new Promise<void>((resolve) => {
            release = resolve;
          });
        }
        return 200;
      });
    });
    after(async () => {
      await receiver.close();
      await ctx.close();
    });

    for (const change of ['DELETE', 'pause'] as const) {
      test(`${change} while the first of five queued deliveries is in flight: the other four are never sent`, async () => {
        receiver.received.length = 0;
        const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
        await patchEndpoint(ctx, tenant.secret, endpoint.id, { status: 'paused' });
        for (let i = 0; i < 5; i++) await sendTestPing(ctx, tenant.secret, endpoint.id);
        await patchEndpoint(ctx, tenant.secret, endpoint.id, { status: 'active' });

        const arrived = new Promise<void>((resolve) => {
          firstArrived = resolve;
        });
        const run = ctx.deliveries.runOnce();
        await arrived;
        const res =
          change === 'DELETE'
            ? await ctx.call({ method: 'DELETE', url: `/v1/webhook-endpoints/${endpoint.id}`, key: tenant.secret })
            : await ctx.call({ method: 'PATCH', url: `/v1/webhook-endpoints/${endpoint.id}`, key: tenant.secret, body: { status: 'paused' } });
        assert.equal(res.statusCode, 200, res.body);
        release();
        await run;
        await ctx.deliveries.runOnce();
        assert.equal(receiver.received.length, 1, `requests after ${change}: ${receiver.received.length - 1}`);

        const rows = await ctx.database.db.selectFrom('webhook_deliveries').select(['status', 'locked_until']).where('endpoint_id', '=', endpoint.id).execute();
        if (change === 'DELETE') {
          assert.deepEqual(rows.map((r) => r.status).sort(), ['canceled', 'canceled', 'canceled', 'canceled', 'canceled']);
        } else {
          // A paused endpoint keeps its queue, released for whoever resumes it.
          assert.equal(rows.filter((r) => r.status === 'pending' && r.locked_until === null).length, 4);
          await patchEndpoint(ctx, tenant.secret, endpoint.id, { status: 'active' });
          await ctx.deliveries.runOnce();
          assert.equal(receiver.received.length, 5, 'resumed, the four arrive');
        }
      });
    }
  });
}
