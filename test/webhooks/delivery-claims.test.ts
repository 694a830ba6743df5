import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { createEndpoint, patchEndpoint, sendTestPing, startReceiver, type Receiver } from './helpers.ts';

/**
 * The delivery worker's claim (src/webhooks/delivery-worker.ts): the active endpoints whose first
 * due delivery comes first, up to one per free slot, outside the endpoints this process is sending
 * to, and each one's first 32 due deliveries in event order (migration 0020: an index per
 * endpoint, so neither a paused endpoint's queue nor a busy one's is walked).
 */
for (const engine of engines) {
  describe(`what a delivery claim takes (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let receiver: Receiver;
    let answer = 200;
    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      receiver = await startReceiver(() => answer);
    });
    after(async () => {
      await receiver.close();
      await ctx.close();
    });

    /** Deliveries queued for a new endpoint of each name, `count` each, one endpoint after another. */
    const queues = async (counts: Record<string, number>) => {
      const queued: Record<string, { endpointId: string; deliveries: string[] }> = {};
      for (const [name, count] of Object.entries(counts)) {
        const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: `${receiver.url}?${name}`, events: ['test.ping'] });
        const deliveries: string[] = [];
        for (let i = 0; i < count; i++) deliveries.push((await sendTestPing(ctx, tenant.secret, endpoint.id)).id);
        queued[name] = { endpointId: endpoint.id, deliveries };
      }
      return queued;
    };
    const claim = async (slots: number, busy: string[] = []) => (await ctx.queues.deliveries.claim(slots, busy)).map((row) => row.id);
    const giveBack = (ids: string[]) => ctx.database.db.updateTable('webhook_deliveries').set({ locked_until: null }).where('id', 'in', ids).execute();

    test('the endpoint whose first due delivery is oldest first, 32 of its deliveries in event order, then the next endpoint', async () => {
      const { older, newer } = await queues({ older: 40, newer: 2 });
      const first = await claim(1);
      assert.deepEqual(first, older!.deliveries.slice(0, 32));
      // The older queue's next deliveries still come before the newer endpoint's first.
      assert.deepEqual(await claim(1), older!.deliveries.slice(32));
      assert.deepEqual(await claim(1), newer!.deliveries);
      assert.deepEqual(await claim(4), [], 'every due delivery is leased');
      await giveBack([...older!.deliveries, ...newer!.deliveries]);
      assert.deepEqual(await claim(2), [...older!.deliveries.slice(0, 32), ...newer!.deliveries], 'two slots: one share of each endpoint');
      await ctx.deliveries.runOnce();
    });

    test('an endpoint this process is sending to, or one that is paused, is left out; one another process holds a share of is claimed past it', async () => {
      const { busy, paused, other } = await queues({ busy: 40, paused: 3, other: 1 });
      await patchEndpoint(ctx, tenant.secret, paused!.endpointId, { status: 'paused' });
      assert.deepEqual(await claim(4, [busy!.endpointId]), other!.deliveries);
      const held = await claim(1);
      assert.deepEqual(held, busy!.deliveries.slice(0, 32));
      assert.deepEqual(await claim(4), busy!.deliveries.slice(32), 'as another process would: past the leased deliveries');
      await giveBack([...busy!.deliveries, ...other!.deliveries]);
      await patchEndpoint(ctx, tenant.secret, paused!.endpointId, { status: 'active' });
      await ctx.deliveries.runOnce();
      const sent = new Set(receiver.received.map((hook) => hook.deliveryId));
      for (const id of [...busy!.deliveries, ...paused!.deliveries, ...other!.deliveries]) assert.ok(sent.has(id), `${id} is sent once claimable`);
    });

    test('a delivery waiting for its retry does not hold back the due deliveries queued after it', async () => {
      answer = 500;
      const { failing } = await queues({ failing: 1 });
      await ctx.deliveries.runOnce();
      answer = 200;
      const after = await sendTestPing(ctx, tenant.secret, failing!.endpointId);
      assert.deepEqual(await claim(1), [after.id]);
      await giveBack([after.id]);
      await ctx.deliveries.runOnce();
    });

    // Postgres runs a DELETE beside the worker's write of an outcome: the DELETE locks the endpoint,
    // then cancels its deliveries; the worker locks the endpoint before it writes the delivery. Here
    // the write of the delivery is held for a moment (a trigger that sleeps) while the DELETE starts:
    // written the other way round, the worker held the delivery and waited for the endpoint, the
    // DELETE the reverse, and Postgres broke the deadlock by failing one of them.
    if (engine === 'postgres') {
      test('a DELETE while the worker writes a failure: both commit', async () => {
        const { failing } = await queues({ failing: 1 });
        const { db } = ctx.database;
        await sql`create function layers_test_slow_outcome() returns trigger language plpgsql as $$
          begin perform pg_sleep(0.3); return null; end $$`.execute(db);
        await sql`create trigger layers_test_slow_outcome after update of attempts on webhook_deliveries
          for each row execute function layers_test_slow_outcome()`.execute(db);
        try {
          answer = 500;
          const received = receiver.received.length;
          const working = ctx.deliveries.runOnce();
          while (receiver.received.length === received) await new Promise((resolve) => setTimeout(resolve, 5));
          await new Promise((resolve) => setTimeout(resolve, 100));
          const deleted = await ctx.call({ method: 'DELETE', url: `/v1/webhook-endpoints/${failing!.endpointId}`, key: tenant.secret });
          assert.equal(deleted.statusCode, 200, deleted.body);
          assert.equal(await working, 1);
          const row = await db.selectFrom('webhook_deliveries').select(['attempts', 'status']).where('id', '=', failing!.deliveries[0]!).executeTakeFirstOrThrow();
          assert.deepEqual(row, { attempts: 1, status: 'canceled' }, 'the failure is recorded, then the DELETE cancels the retry');
        } finally {
          answer = 200;
          await sql`drop trigger layers_test_slow_outcome on webhook_deliveries`.execute(db);
          await sql`drop function layers_test_slow_outcome()`.execute(db);
        }
      });
    }
  });
}
