import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.ts';
import { MIGRATION_NAMES, migrateToLatest } from '../../src/db/migrate.ts';
import { testSchemaName } from '../support/engines.ts';

const url = process.env.TEST_DATABASE_URL;
if (url) {
  describe('DATABASE_URL on Postgres', () => {
    test('a search_path in the URL selects the schema the migrations create and use', async () => {
      const schema = testSchemaName('url');
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`create schema ${schema}`);
        const withSchema = `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
        const handle = openDatabase(withSchema);
        try {
          assert.deepEqual(await migrateToLatest(handle), MIGRATION_NAMES, 'every migration, in order');
          assert.deepEqual(await migrateToLatest(handle), [], 'a second run finds its own bookkeeping table');
        } finally {
          await handle.destroy();
        }
        const { rows } = await admin.query<{ n: string }>(
          `select count(*) as n from information_schema.tables where table_schema = $1 and table_name = 'social_accounts'`,
          [schema],
        );
        assert.equal(rows[0]?.n, '1');
      } finally {
        if (!process.env.LAYERS_TEST_RUN) await admin.query(`drop schema if exists ${schema} cascade`);
        await admin.end();
      }
    });

    test('a connection Postgres ends while it sits idle in the pool (a restart, an administrator) costs that connection, not the process', async () => {
      const handle = openDatabase(url);
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const crashes: unknown[] = [];
      const onCrash = (error: unknown) => crashes.push(error);
      process.on('uncaughtException', onCrash);
      try {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db);
        const pid = rows[0]?.pid;
        await admin.query('select pg_terminate_backend($1)', [pid]);
        // The idle connection hears of its end on its own; give it the time to.
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.deepEqual(crashes, [], 'no uncaught error');
        const after = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db);
        assert.notEqual(after.rows[0]?.pid, pid, 'the next query runs on a new connection');
      } finally {
        process.off('uncaughtException', onCrash);
        await admin.end();
        await handle.destroy();
      }
    });
  });
}
