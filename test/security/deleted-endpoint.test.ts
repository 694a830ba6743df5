import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { createEndpoint, patchEndpoint, sendTestPing, startReceiver, type Hook, type Receiver } from '../webhooks/helpers.ts';

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
    /** When set, decides how long each request waits before its 200 (the test of chains beside each other). */
    let holdFirstOf: ((hook: Hook) => Promise<void>) | null = null;

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      // The first request is held until the test releases it; the others are answered at once.
      receiver = await startReceiver(async (hook) => {
        if (holdFirstOf) {
          await holdFirstOf(hook);
          return 200;
        }
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

    test('DELETE while seven other endpoints\' chains run beside it (the chains share their pre-attempt checks): the others get every event in order, the deleted one nothing more', async () => {
      const others = await Promise.all(Array.from({ length: 7 }, () => createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] })));
      const { endpoint: target } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      const endpoints = [target, ...others.map((created) => created.endpoint)];
      for (const endpoint of endpoints) await patchEndpoint(ctx, tenant.secret, endpoint.id, { status: 'paused' });
      const eventsOf = new Map<string, string[]>(endpoints.map((endpoint) => [endpoint.id, []]));
      for (let i = 0; i < 6; i++) {
        for (const endpoint of endpoints) eventsOf.get(endpoint.id)?.push((await sendTestPing(ctx, tenant.secret, endpoint.id)).eventId);
      }
      receiver.received.length = 0;
      const targetEvents = new Set(eventsOf.get(target.id));
      // The target's first request is held; every other request is answered after a moment, so the chains overlap.
      let heldArrived: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        heldArrived = resolve;
      });
      let releaseHeld: () => void = () => {};
      let heldOne = false;
      holdFirstOf = (hook) => {
        if (!targetEvents.has(hook.eventId) || heldOne) return new Promise((resolve) => setTimeout(resolve, 2));
        heldOne = true;
        heldArrived();
        return new Promise<void>((resolve) => {
          releaseHeld = resolve;
        });
      };
      for (const endpoint of endpoints) await patchEndpoint(ctx, tenant.secret, endpoint.id, { status: 'active' });
      const run = ctx.deliveries.runOnce();
      await held;
      const res = await ctx.call({ method: 'DELETE', url: `/v1/webhook-endpoints/${target.id}`, key: tenant.secret });
      assert.equal(res.statusCode, 200, res.body);
      releaseHeld();
      await run;
      await ctx.deliveries.runOnce();
      holdFirstOf = null;

      const arrivedFor = (endpointId: string) => receiver.received.filter((hook) => eventsOf.get(endpointId)?.includes(hook.eventId)).map((hook) => hook.eventId);
      assert.equal(arrivedFor(target.id).length, 1, `requests to the deleted endpoint after its DELETE: ${arrivedFor(target.id).length - 1}`);
      for (const { endpoint } of others) assert.deepEqual(arrivedFor(endpoint.id), eventsOf.get(endpoint.id), `endpoint ${endpoint.id}: every event once, in order`);
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
