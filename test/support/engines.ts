import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type DatabaseHandle, type Engine } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

/**
 * The engines this run covers: SQLite always, Postgres when TEST_DATABASE_URL is set
 * (CI sets it; the global setup prints one line when it is not).
 */
export const engines: Engine[] = process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestDatabase extends DatabaseHandle {
  url: string;
  /** For Postgres, the schema this database lives in (every test database gets its own). */
  schema: string | null;
}

/**
 * A fresh database, migrated unless told otherwise: in-memory SQLite (or `sqliteFile`, which a
 * second connection can open), or a new schema on the test Postgres.
 */
export async function openTestDatabase(engine: Engine, options: { migrate?: boolean; sqliteFile?: string } = {}): Promise<TestDatabase> {
  const migrate = options.migrate ?? true;
  if (engine === 'sqlite') {
    const url = `sqlite:${options.sqliteFile ?? ':memory:'}`;
    const handle = openDatabase(url);
    if (migrate) await migrateToLatest(handle);
    return { ...handle, url, schema: null };
  }
  const url = process.env.TEST_DATABASE_URL as string;
  const schema = testSchemaName('t');
  await withAdminClient(url, (client) => client.query(`create schema ${schema}`));
  const handle = openDatabase(url, { schema, maxConnections: 5 });
  if (migrate) await migrateToLatest(handle);
  return {
    ...handle,
    url,
    schema,
    async destroy() {
      await handle.destroy();
      // Within a named run the global teardown drops the schema, once no file is migrating.
      if (!process.env.LAYERS_TEST_RUN) await withAdminClient(url, (client) => client.query(`drop schema ${schema} cascade`));
    },
  };
}

/** A fresh Postgres schema name, tagged with the test run (see global-setup.ts). */
export function testSchemaName(prefix: string): string {
  return `${prefix}_${process.env.LAYERS_TEST_RUN ?? 'solo'}_${randomBytes(5).toString('hex')}`;
}

async function withAdminClient(url: string, run: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await run(client);
  } finally {
    await client.end();
  }
}
