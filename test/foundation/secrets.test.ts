import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext } from '../support/test-app.ts';
import { withWrongSecret } from './helpers.ts';

for (const engine of engines) {
  describe(`key secrets are never stored nor echoed (${engine})`, () => {
    let ctx: TestContext;

    before(async () => {
      ctx = await createTestContext(engine);
    });
    after(() => ctx.close());

    /** Every row of every table of this test database, as one JSON text. */
    async function dumpDatabase(): Promise<{ tables: string[]; text: string }> {
      const tables = (await ctx.database.db.introspection.getTables({ withInternalKyselyTables: true }))
        .filter((t) => !t.isView && (ctx.database.schema === null || t.schema === ctx.database.schema))
        .map((t) => t.name);
      const dump: Record<string, unknown[]> = {};
      for (const table of tables) {
        const result = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(ctx.database.db);
        dump[table] = result.rows;
      }
      return { tables, text: JSON.stringify(dump) };
    }

    test('after keys are created and used, no table holds any full secret (nor its random part)', async () => {
      const tenant = await ctx.tenant();
      const live = await ctx.key(tenant.organizationId, { env: 'live', scopes: ['projects:read', 'projects:write'] });
      const victim = await ctx.key(tenant.organizationId);
      const retired = await ctx.key(tenant.organizationId);
      const secrets = [tenant.secret, live.secret, victim.secret, retired.secret];

      const responses: LightMyRequestResponse[] = [];
      const call = async (...args: Parameters<TestContext['call']>) => {
        const res = await ctx.call(...args);
        responses.push(res);
        return res;
      };
      for (const secret of secrets) await call({ method: 'GET', url: '/v1/whoami', key: secret });
      const created = await call({
        method: 'POST',
        url: '/v1/projects',
        key: live.secret,
        body: { name: 'Secretive', timezone: 'UTC' },
        headers: { 'idempotency-key': 'secret-test-1' },
      });
      assert.equal(created.statusCode, 201);
      await call({ method: 'POST', url: '/v1/projects', key: live.secret, body: { name: 'Secretive', timezone: 'UTC' }, headers: { 'idempotency-key': 'secret-test-1' } });
      const id = (created.json() as { id: string }).id;
      await call({ method: 'PATCH', url: `/v1/projects/${id}`, key: tenant.secret, body: { tagline: 'shh' }, headers: { 'idempotency-key': 'secret-test-2' } });
      assert.equal((await call({ method: 'POST', url: `/v1/api-keys/${victim.id}/kill`, key: tenant.secret, headers: { 'idempotency-key': 'k1' } })).statusCode, 200);
      assert.equal((await call({ method: 'DELETE', url: `/v1/api-keys/${retired.id}`, key: tenant.secret })).statusCode, 200);
      await call({ method: 'GET', url: '/v1/whoami', key: victim.secret });
      await call({ method: 'GET', url: '/v1/whoami', key: retired.secret });
      await call({ method: 'GET', url: '/v1/whoami', key: withWrongSecret(tenant.secret) });
      await call({ method: 'POST', url: '/v1/projects', key: withWrongSecret(live.secret), body: { name: 'Nope', timezone: 'UTC' } });
      await call({ method: 'GET', url: '/v1/projects', key: live.secret });
      await call({ method: 'GET', url: '/metrics' });
      await call({ method: 'GET', url: '/openapi.json' });
      assert.ok(responses.length > 15);

      const { tables, text } = await dumpDatabase();
      for (const expected of ['api_keys', 'organizations', 'projects', 'idempotency_records', 'audit_log']) {
        assert.ok(tables.includes(expected), `the dump covers ${expected} (got ${tables.join(', ')})`);
      }
      // The dump is real: it holds the public parts (ids, lookup ids) of the keys.
      for (const secret of secrets) {
        const lookupId = secret.split('_')[2] as string;
        assert.ok(text.includes(lookupId), 'the lookup id is public and stored');
      }
      assert.ok(text.includes(id));
      assert.ok(text.includes('"completed"'), 'idempotency records were written');

      for (const secret of secrets) {
        const random = secret.slice(-43);
        assert.ok(!text.includes(secret), 'a full key secret is stored in the database');
        assert.ok(!text.includes(random), 'the random part of a key secret is stored in the database');
      }

      for (const res of responses) {
        const everything = res.body + JSON.stringify(res.headers);
        for (const secret of secrets) {
          assert.ok(!everything.includes(secret.slice(-43)), `a response (${res.statusCode}) echoes a key secret`);
        }
      }
    });
  });
}
