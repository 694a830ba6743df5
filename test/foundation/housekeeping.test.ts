import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WebhookDeliveryStatus } from '../../src/db/schema.ts';
import { purgeExpired } from '../../src/housekeeping.ts';
import { deliveryRow } from '../webhooks/helpers.ts';
import { turnsDuring } from './helpers.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';

for (const engine of engines) {
  describe(`housekeeping (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
    });
    after(() => ctx.close());

    test('expired idempotency keys are purged; live ones stay and still replay', async () => {
      const body = { name: 'Purge me', timezone: 'UTC' };
      await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body, headers: { 'idempotency-key': 'old' } });
      ctx.clock.advance(23 * 60 * 60 * 1000);
      await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body, headers: { 'idempotency-key': 'fresh' } });
      ctx.clock.advance(60 * 60 * 1000 + 1);
      const purged = await purgeExpired(ctx.database, ctx.clock);
      assert.equal(purged.idempotencyRecords, 1);
      const replay = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body, headers: { 'idempotency-key': 'fresh' } });
      assert.equal(replay.headers['idempotent-replayed'], 'true');
    });

    test('OAuth states older than 7 days go, with their PKCE verifiers', async () => {
      const project = (await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'States', timezone: 'UTC' } })).json();
      const minted = await ctx.call({
        method: 'POST',
        url: `/v1/projects/${project.id}/social/oauth-url`,
        key: tenant.secret,
        body: { platform: 'tiktok', returnUrl: 'https://app.example.com/x' },
      });
      const state = minted.json().state as string;
      const storedState = () => ctx.database.db.selectFrom('oauth_states').select('sealed_code_verifier').where('id', '=', state).executeTakeFirst();
      assert.ok((await storedState())?.sealed_code_verifier, 'the state holds its sealed verifier');
      ctx.clock.advance(6 * 24 * 60 * 60 * 1000);
      await purgeExpired(ctx.database, ctx.clock);
      assert.equal((await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${state}`, key: tenant.secret })).json().status, 'expired');
      ctx.clock.advance(2 * 24 * 60 * 60 * 1000);
      const purged = await purgeExpired(ctx.database, ctx.clock);
      assert.equal(purged.oauthStates, 1);
      assert.equal((await ctx.call({ method: 'GET', url: `/v1/social/oauth-status/${state}`, key: tenant.secret })).statusCode, 404);
      assert.equal(await storedState(), undefined, 'the row, and the verifier sealed on it, are gone');
    });

    test('webhook deliveries and events past 30 days go, a batch at a time; pending deliveries and the events they name stay', async () => {
      const db = ctx.database.db;
      const day = 24 * 60 * 60 * 1000;
      const now = ctx.clock.now().getTime();
      const at = (msAgo: number) => new Date(now - msAgo).toISOString();
      const tag = 'hk';
      const owner = { organizationId: tenant.organizationId, endpointId: `we_${tag}` };
      // 2,000 old deliveries, each with its event: 1,100 share one instant (more than a batch on
      // either engine), the rest one second apart; every 100th is still pending (a paused
      // endpoint's queue). Beside them, recent deliveries, and an old event that a recent delivery
      // names.
      const rows: Array<{ id: number; createdAt: string; status: WebhookDeliveryStatus }> = [];
      for (let i = 0; i < 2000; i++) {
        rows.push({ id: i, createdAt: i < 1100 ? at(45 * day) : at(40 * day - i * 1000), status: i % 100 === 7 ? 'pending' : 'succeeded' });
      }
      for (let i = 2000; i < 2010; i++) rows.push({ id: i, createdAt: at(29 * day), status: 'failed' });
      const event = (id: string, createdAt: string) => ({ id, organization_id: tenant.organizationId, project_id: null, type: 'post.published', payload: '{}', replay_of: null, created_at: createdAt });
      for (let start = 0; start < rows.length; start += 200) {
        const chunk = rows.slice(start, start + 200);
        await db.insertInto('webhook_events').values(chunk.map((row) => event(`evt_${tag}_${row.id}`, row.createdAt))).execute();
        await db
          .insertInto('webhook_deliveries')
          .values(chunk.map((row) => deliveryRow({ ...owner, id: `wd_${tag}_${row.id}`, eventId: `evt_${tag}_${row.id}`, createdAt: row.createdAt, status: row.status })))
          .execute();
      }
      await db.insertInto('webhook_events').values(event(`evt_${tag}_redelivered`, at(50 * day))).execute();
      await db
        .insertInto('webhook_deliveries')
        .values(deliveryRow({ ...owner, id: `wd_${tag}_redelivered`, eventId: `evt_${tag}_redelivered`, createdAt: at(day), status: 'succeeded' }))
        .execute();

      // The event loop turns while the purge runs, however much it has to delete.
      const { result: purged, turns } = await turnsDuring(() => purgeExpired(ctx.database, ctx.clock));

      const pendingOld = rows.filter((row) => row.id < 2000 && row.status === 'pending').length;
      assert.equal(purged.webhookDeliveries, 2000 - pendingOld);
      assert.equal(purged.webhookEvents, 2000 - pendingOld);
      assert.ok(turns >= 3, `the event loop turned ${turns} times during the purge`);
      const left = async (table: 'webhook_deliveries' | 'webhook_events') =>
        (await db.selectFrom(table).select('id').where('id', 'like', `%_${tag}_%`).orderBy('id').execute()).map((row) => row.id);
      const kept = [...rows.filter((row) => row.status === 'pending' || row.id >= 2000).map((row) => row.id), 'redelivered'];
      assert.deepEqual(await left('webhook_deliveries'), kept.map((id) => `wd_${tag}_${id}`).sort());
      assert.deepEqual(await left('webhook_events'), kept.map((id) => `evt_${tag}_${id}`).sort());

      // Once the pending ones settle and age out, they and their events go too.
      await db.updateTable('webhook_deliveries').set({ status: 'succeeded', next_attempt_at: null }).where('status', '=', 'pending').where('id', 'like', `wd_${tag}_%`).execute();
      const again = await purgeExpired(ctx.database, ctx.clock);
      assert.equal(again.webhookDeliveries, pendingOld);
      assert.equal(again.webhookEvents, pendingOld);
      assert.equal((await left('webhook_deliveries')).length, 11);
    });

    test("finishes cancelling the queue of an endpoint whose DELETE stopped half-way (the process died)", async () => {
      const db = ctx.database.db;
      const created = await ctx.call({ method: 'POST', url: '/v1/webhook-endpoints', key: tenant.secret, body: { url: 'https://hooks.example.com/x', events: ['test.ping'] } });
      assert.equal(created.statusCode, 201, created.body);
      const endpointId = created.json().endpoint.id as string;
      const createdAt = ctx.clock.now().toISOString();
      const owner = { organizationId: tenant.organizationId, endpointId };
      const ids = Array.from({ length: 300 }, (_, i) => `wd_halfway_${String(i).padStart(3, '0')}`);
      await db
        .insertInto('webhook_deliveries')
        .values(ids.map((id, i) => deliveryRow({ ...owner, id, eventId: `evt_halfway_${i}`, createdAt, status: i < 100 ? 'canceled' : 'pending' })))
        .execute();
      // The DELETE's first transaction committed; its cancelling got through the first hundred.
      await db.updateTable('webhook_endpoints').set({ deleted_at: createdAt }).where('id', '=', endpointId).execute();

      assert.equal((await purgeExpired(ctx.database, ctx.clock)).canceledDeliveries, 200);
      const statuses = await db.selectFrom('webhook_deliveries').select('status').distinct().where('endpoint_id', '=', endpointId).execute();
      assert.deepEqual(statuses, [{ status: 'canceled' }]);
      assert.equal((await purgeExpired(ctx.database, ctx.clock)).canceledDeliveries, 0);
    });
  });
}
