import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { expectError, expectIssues, fullProjectBody } from './helpers.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

for (const engine of engines) {
  describe(`Idempotency-Key (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;

    const countProjects = async (organizationId = tenant.organizationId) =>
      Number(
        (
          await ctx.database.db
            .selectFrom('projects')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('organization_id', '=', organizationId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const create = (body: unknown, idempotencyKey: string, secret = tenant.secret) =>
      ctx.call({ method: 'POST', url: '/v1/projects', key: secret, body, headers: { 'idempotency-key': idempotencyKey } });

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
    });
    after(() => ctx.close());

    test('same key + same body: the first response is replayed byte for byte with Idempotent-Replayed: true, and only one project exists', async () => {
      const before = await countProjects();
      const key = `create-${randomUUID()}`;
      const body = fullProjectBody({ customerExternalId: `idem-${randomUUID()}` });
      const first = await create(body, key);
      assert.equal(first.statusCode, 201, first.body);
      assert.equal(first.headers['idempotent-replayed'], undefined);

      ctx.clock.advance(5_000);
      const second = await create(body, key);
      assert.equal(second.statusCode, 201);
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.equal(second.body, first.body);
      assert.equal(second.rawPayload.equals(first.rawPayload), true);
      assert.equal(second.headers['content-type'], first.headers['content-type']);
      assert.ok(second.headers['x-request-id'], 'a replay still carries its own X-Request-Id');

      // The same body with its keys in another order is the same request.
      const reordered = Object.fromEntries(Object.entries(body).reverse());
      const third = await create(reordered, key);
      assert.equal(third.statusCode, 201);
      assert.equal(third.headers['idempotent-replayed'], 'true');
      assert.equal(third.body, first.body);

      assert.equal(await countProjects(), before + 1);
    });

    test('same key + a different body: 409 IDEMPOTENCY_CONFLICT with both hashes; nothing created', async () => {
      const key = `conflict-${randomUUID()}`;
      const first = await create({ name: 'First body', timezone: 'UTC' }, key);
      assert.equal(first.statusCode, 201);
      const before = await countProjects();
      const res = await create({ name: 'Other body', timezone: 'UTC' }, key);
      const details = expectError(res, 409, 'IDEMPOTENCY_CONFLICT');
      assert.match(String(details.originalRequestHash), /^[0-9a-f]{64}$/);
      assert.match(String(details.currentRequestHash), /^[0-9a-f]{64}$/);
      assert.notEqual(details.originalRequestHash, details.currentRequestHash);
      assert.equal(res.headers['idempotent-replayed'], undefined);
      assert.equal(await countProjects(), before);

      // The conflict is stable: the same mistaken body gets the same hashes again.
      const again = expectError(await create({ name: 'Other body', timezone: 'UTC' }, key), 409, 'IDEMPOTENCY_CONFLICT');
      assert.deepEqual(again, details);
      // And the original body still replays.
      const replay = await create({ name: 'First body', timezone: 'UTC' }, key);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.equal(replay.body, first.body);
    });

    test('keys are per API key: another key may use the same Idempotency-Key independently', async () => {
      const key = `shared-${randomUUID()}`;
      const body = { name: 'Per key', timezone: 'UTC' };
      const sibling = await ctx.key(tenant.organizationId);
      const before = await countProjects();
      const mine = await create(body, key);
      const theirs = await create(body, key, sibling.secret);
      assert.equal(mine.statusCode, 201);
      assert.equal(theirs.statusCode, 201);
      assert.equal(theirs.headers['idempotent-replayed'], undefined);
      assert.notEqual((mine.json() as { id: string }).id, (theirs.json() as { id: string }).id);
      assert.equal(await countProjects(), before + 2);
      // A different body under the sibling's use of the key is judged against the sibling's record only.
      expectError(await create({ name: 'Per key 2', timezone: 'UTC' }, key, sibling.secret), 409, 'IDEMPOTENCY_CONFLICT');

      // Another organization's key, too.
      const stranger = await ctx.tenant({ orgName: 'Stranger' });
      const strangers = await create(body, key, stranger.secret);
      assert.equal(strangers.statusCode, 201);
      assert.equal(strangers.headers['idempotent-replayed'], undefined);
      assert.equal(await countProjects(stranger.organizationId), 1);
    });

    test('keys are per route: the same Idempotency-Key on another route is a different request', async () => {
      const key = `route-${randomUUID()}`;
      const created = await create({ name: 'Per route', timezone: 'UTC' }, key);
      assert.equal(created.statusCode, 201);
      const id = (created.json() as { id: string }).id;
      const archived = await ctx.call({ method: 'DELETE', url: `/v1/projects/${id}`, key: tenant.secret, headers: { 'idempotency-key': key } });
      assert.equal(archived.statusCode, 200, archived.body);
      assert.equal(archived.headers['idempotent-replayed'], undefined);
      assert.equal((archived.json() as { status: string }).status, 'archived');
    });

    test('PATCH and DELETE replay too', async () => {
      const created = await create({ name: 'Patch replay', timezone: 'UTC' }, `p-${randomUUID()}`);
      const id = (created.json() as { id: string }).id;
      const key = `patch-${randomUUID()}`;
      const patch = () =>
        ctx.call({ method: 'PATCH', url: `/v1/projects/${id}`, key: tenant.secret, body: { tagline: 'First' }, headers: { 'idempotency-key': key } });
      const first = await patch();
      assert.equal(first.statusCode, 200);
      // Someone changes the project in between; the replay still answers the first response.
      ctx.clock.advance(1_000);
      const other = await ctx.call({ method: 'PATCH', url: `/v1/projects/${id}`, key: tenant.secret, body: { tagline: 'Second' } });
      assert.equal(other.statusCode, 200);
      const second = await patch();
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.equal(second.body, first.body);
      const row = await ctx.database.db.selectFrom('projects').select('tagline').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.tagline, 'Second', 'a replay must not run the update again');
    });

    test('a 4xx from the handler is stored and replayed too (409 CONFLICT on a taken customerExternalId)', async () => {
      const customerExternalId = `taken-${randomUUID()}`;
      assert.equal((await create({ name: 'Taken one', timezone: 'UTC', customerExternalId }, `t1-${randomUUID()}`)).statusCode, 201);
      const key = `t2-${randomUUID()}`;
      const body = { name: 'Taken two', timezone: 'UTC', customerExternalId };
      const first = await create(body, key);
      expectError(first, 409, 'CONFLICT');
      const second = await create(body, key);
      assert.equal(second.statusCode, 409);
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.equal(second.body, first.body);
    });

    test('a key expires after 24 hours: replayed at 24 h − 1 s, a new project at 24 h + 1 ms', async () => {
      const key = `expiry-${randomUUID()}`;
      const body = { name: 'Expiring', timezone: 'UTC' };
      const first = await create(body, key);
      assert.equal(first.statusCode, 201);
      const before = await countProjects();

      ctx.clock.advance(DAY_MS - 1_000);
      const within = await create(body, key);
      assert.equal(within.headers['idempotent-replayed'], 'true');
      assert.equal(within.body, first.body);
      assert.equal(await countProjects(), before);

      ctx.clock.advance(1_000 + 1);
      const later = await create(body, key);
      assert.equal(later.statusCode, 201);
      assert.equal(later.headers['idempotent-replayed'], undefined);
      assert.notEqual((later.json() as { id: string }).id, (first.json() as { id: string }).id);
      assert.equal(await countProjects(), before + 1);

      // The fresh record starts its own 24 hours: a different body now conflicts with it.
      expectError(await create({ name: 'Expiring 2', timezone: 'UTC' }, key), 409, 'IDEMPOTENCY_CONFLICT');
    });

    test('a request still in flight with that key: 409 CONFLICT (same body) or IDEMPOTENCY_CONFLICT (different body)', async () => {
      const key = `inflight-${randomUUID()}`;
      const body = { name: 'In flight', timezone: 'UTC' };
      assert.equal((await create(body, key)).statusCode, 201);
      // Turn the stored record back into a claim whose response is not written yet.
      const updated = await ctx.database.db
        .updateTable('idempotency_records')
        .set({ state: 'in_flight', response_status: null, response_headers: null, response_body: null, created_at: ctx.clock.now().toISOString() })
        .where('api_key_id', '=', tenant.apiKeyId)
        .where('idempotency_key', '=', key)
        .executeTakeFirst();
      assert.equal(Number(updated.numUpdatedRows), 1);
      const before = await countProjects();

      const res = await create(body, key);
      expectError(res, 409, 'CONFLICT');
      assert.equal(res.headers['idempotent-replayed'], undefined);
      expectError(await create({ name: 'Different', timezone: 'UTC' }, key), 409, 'IDEMPOTENCY_CONFLICT');
      assert.equal(await countProjects(), before);
    });

    test('an in-flight claim left behind by a crashed process is taken over by a retry after a minute', async () => {
      const key = `abandoned-${randomUUID()}`;
      const body = { name: 'Abandoned', timezone: 'UTC' };
      assert.equal((await create(body, key)).statusCode, 201);
      await ctx.database.db
        .updateTable('idempotency_records')
        .set({ state: 'in_flight', response_status: null, response_headers: null, response_body: null, created_at: ctx.clock.now().toISOString() })
        .where('api_key_id', '=', tenant.apiKeyId)
        .where('idempotency_key', '=', key)
        .execute();
      expectError(await create(body, key), 409, 'CONFLICT');
      ctx.clock.advance(61_000);
      const retried = await create(body, key);
      assert.equal(retried.statusCode, 201);
      assert.equal(retried.headers['idempotent-replayed'], undefined);
      const replay = await create(body, key);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.equal(replay.body, retried.body);
    });

    test('two concurrent requests with one key create one project', async () => {
      const key = `race-${randomUUID()}`;
      const body = { name: 'Concurrent', timezone: 'UTC' };
      const before = await countProjects();
      const results = await Promise.all([create(body, key), create(body, key), create(body, key)]);
      const fresh = results.filter((r) => r.statusCode === 201 && r.headers['idempotent-replayed'] === undefined);
      assert.equal(fresh.length, 1, results.map((r) => `${r.statusCode} ${r.body}`).join('\n'));
      for (const res of results) {
        if (res === fresh[0]) continue;
        if (res.statusCode === 409) expectError(res, 409, 'CONFLICT');
        else {
          assert.equal(res.headers['idempotent-replayed'], 'true');
          assert.equal(res.body, fresh[0]?.body);
        }
      }
      assert.equal(await countProjects(), before + 1);
    });

    test('a body that fails the schema (422) does not consume the key', async () => {
      const key = `invalid-first-${randomUUID()}`;
      expectIssues(await create({ name: 'ab', timezone: 'UTC' }, key));
      expectError(await create('{broken', key), 400, 'VALIDATION');
      const res = await create({ name: 'Valid now', timezone: 'UTC' }, key);
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.headers['idempotent-replayed'], undefined);
      const records = await ctx.database.db.selectFrom('idempotency_records').select('state').where('idempotency_key', '=', key).execute();
      assert.deepEqual(
        records.map((r) => r.state),
        ['completed'],
      );
    });

    test('an invalid Idempotency-Key header is 400 VALIDATION; 255 characters is fine', async () => {
      const before = await countProjects();
      const tooLong = 'k'.repeat(256);
      expectError(await create({ name: 'Long key', timezone: 'UTC' }, tooLong), 400, 'VALIDATION');
      expectError(await create({ name: 'Empty key', timezone: 'UTC' }, ''), 400, 'VALIDATION');
      assert.equal(await countProjects(), before);
      const ok = await create({ name: 'Longest key', timezone: 'UTC' }, 'k'.repeat(255));
      assert.equal(ok.statusCode, 201, ok.body);
    });
  });
}
