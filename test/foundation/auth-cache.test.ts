import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.ts';
import { postgresAuthVersion } from '../../src/db/auth-version.ts';
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

describe('the Postgres version read is shared, never stale', () => {
  /** A pool whose reads answer when the test says, with the version the test gives. */
  function controlledPool() {
    const pending: Array<(version: number) => void> = [];
    return {
      pending,
      pool: { query: () => new Promise<{ rows: Array<{ version: number }> }>((resolve) => pending.push((version) => resolve({ rows: [{ version }] }))) },
    };
  }

  test('a request that arrives while a read is in flight waits for the next read, which the waiting requests share', async () => {
    const { pool, pending } = controlledPool();
    const authVersion = postgresAuthVersion(pool);
    const first = authVersion.current();
    assert.equal(pending.length, 1);
    // These arrive after the first read was sent: a change committed just before them may be missing from its answer.
    const second = authVersion.current();
    const third = authVersion.current();
    assert.equal(pending.length, 1, 'nothing is sent while a read is in flight');
    pending[0]?.(1);
    assert.equal(await first, 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(pending.length, 2, 'one read, sent after the first answered, for both waiting requests');
    pending[1]?.(2);
    assert.deepEqual(await Promise.all([second, third]), [2, 2]);
    // Nothing in flight: the next request sends its own read at once.
    const fourth = authVersion.current();
    assert.equal(pending.length, 3);
    pending[2]?.(3);
    assert.equal(await fourth, 3);
  });

  test('a failed read trusts nothing, and the next request reads again', async () => {
    let calls = 0;
    const authVersion = postgresAuthVersion({
      query: async () => {
        calls += 1;
        if (calls === 1) throw new Error('connection reset');
        return { rows: [{ version: 7 }] };
      },
    });
    assert.equal(await authVersion.current(), null);
    assert.equal(await authVersion.current(), 7);
  });
});
