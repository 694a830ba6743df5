import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.ts';
import { GLOBAL_KILL_SWITCH } from '../../src/organizations/global-kill-switch.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';

/**
 * Authenticated keys are cached (docs/performance.md, "Authentication cache"), and the cache is
 * trusted only while no key, organization or global switch changed, whoever changed it: a write
 * from another connection, with plain SQL, as the operator CLI or another process would make it.
 */
for (const engine of engines) {
  describe(`the authentication cache never outlives a change (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let other: DatabaseHandle;
    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      // Another connection to the same database: SQLite's in-memory test database has only one, so there it is the same handle.
      other =
        engine === 'postgres' ? openDatabase(ctx.database.url, { schema: ctx.database.schema as string, maxConnections: 1 }) : ctx.database;
    });
    after(async () => {
      if (other !== ctx.database) await other.destroy();
      await ctx.close();
    });

    const whoami = (secret = tenant.secret) => ctx.call({ method: 'GET', url: '/v1/whoami', key: secret });
    /** Every change moves the version the cache is checked against; nothing is waited for. */
    const changeSeen = async (before: number | null) => assert.notEqual(await ctx.database.authVersion.current(), before);

    test('a key killed, then its organization suspended, then the global switch: each refused on the next request', async () => {
      assert.equal((await whoami()).statusCode, 200);
      assert.equal((await whoami()).statusCode, 200);

      let version = await ctx.database.authVersion.current();
      await other.db.updateTable('api_keys').set({ killed_at: new Date().toISOString() }).where('id', '=', tenant.apiKeyId).execute();
      await changeSeen(version);
      const killed = await whoami();
      assert.equal(killed.statusCode, 503);
      assert.equal(killed.json().error.details.scope, 'key');

      const second = await ctx.key(tenant.organizationId);
      assert.equal((await whoami(second.secret)).statusCode, 200);
      version = await ctx.database.authVersion.current();
      await other.db.updateTable('organizations').set({ suspended_at: new Date().toISOString() }).where('id', '=', tenant.organizationId).execute();
      await changeSeen(version);
      assert.equal((await whoami(second.secret)).json().error.details.scope, 'org');

      const third = await ctx.tenant({ orgName: 'Unrelated' });
      assert.equal((await whoami(third.secret)).statusCode, 200);
      version = await ctx.database.authVersion.current();
      await other.db.insertInto('global_switches').values({ name: GLOBAL_KILL_SWITCH, enabled: 1, updated_at: new Date().toISOString() }).onConflict((oc) => oc.column('name').doUpdateSet({ enabled: 1 })).execute();
      await changeSeen(version);
      const stopped = await whoami(third.secret);
      assert.equal(stopped.statusCode, 503);
      assert.equal(stopped.json().error.details.scope, 'global');
    });
  });
}
