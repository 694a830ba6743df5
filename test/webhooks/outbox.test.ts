import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { emitEvent } from '../../src/webhooks/events.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { createEndpoint, createProject, listDeliveries, startReceiver, type Receiver } from './helpers.ts';

for (const engine of engines) {
  describe(`the event outbox commits with the change it reports (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let projectId: string;
    let endpointId: string;
    let receiver: Receiver;
    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      receiver = await startReceiver();
      projectId = await createProject(ctx, tenant.secret);
      endpointId = (await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['social_account.revoked', 'post.published'] })).endpoint.id;
    });
    after(async () => {
      await receiver.close();
      await ctx.close();
    });

    const counts = async () => ({
      events: (await ctx.database.db.selectFrom('webhook_events').select('id').execute()).length,
      deliveries: (await ctx.database.db.selectFrom('webhook_deliveries').select('id').execute()).length,
    });

    test('a transaction that throws after emitEvent leaves no webhook_events or webhook_deliveries rows, and nothing is sent', async () => {
      const initial = await counts();
      let emitted: { eventId: string; deliveryIds: string[] } | null = null;
      await assert.rejects(
        ctx.database.db.transaction().execute(async (trx) => {
          emitted = await emitEvent(trx, ctx.clock, {
            organizationId: tenant.organizationId,
            projectId,
            type: 'social_account.revoked',
            data: { projectId, socialAccountId: 'sa_00000000-0000-4000-8000-000000000000' },
          });
          // Inside the transaction the rows are there…
          assert.equal((await trx.selectFrom('webhook_deliveries').select('id').where('event_id', '=', emitted.eventId).execute()).length, 1);
          throw new Error('the state change failed');
        }),
        /the state change failed/,
      );
      assert.ok(emitted, 'emitEvent ran');
      // …and after the rollback they are not.
      assert.deepEqual(await counts(), initial);
      await ctx.deliveries.runOnce();
      assert.deepEqual(receiver.received, []);
      assert.deepEqual(await listDeliveries(ctx, tenant.secret, endpointId), []);
    });

    test('the same emit in a transaction that commits is delivered', async () => {
      const { eventId } = await ctx.database.db.transaction().execute((trx) =>
        emitEvent(trx, ctx.clock, {
          organizationId: tenant.organizationId,
          projectId,
          type: 'post.published',
          data: { projectId, scheduledPostId: 'sp_00000000-0000-4000-8000-000000000000' },
        }),
      );
      await ctx.deliveries.runOnce();
      assert.deepEqual(receiver.received.map((h) => [h.eventId, h.body.type]), [[eventId, 'post.published']]);
    });
  });
}
