import { PostgresAdapter, sql, type Kysely } from 'kysely';

/** The tables whose rows decide who may call the API: keys, their organizations, the global switch. */
const AUTH_TABLES = ['api_keys', 'organizations', 'global_switches'] as const;

/**
 * A version number every change to the authentication tables moves, by triggers, whoever writes
 * them (the server, the operator CLI, another process, a hand-run SQL statement). The server caches
 * authenticated keys and trusts the cache only while the version is the one it was filled under
 * (docs/performance.md, "Authentication cache").
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('auth_version')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();
  await db.insertInto('auth_version').values({ id: 1, version: 0 }).execute();

  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`create function layers_auth_changed() returns trigger language plpgsql as $$
      begin
        update auth_version set version = version + 1 where id = 1;
        return null;
      end $$`.execute(db);
    for (const table of AUTH_TABLES) {
      await sql`create trigger ${sql.raw(`${table}_auth_changed`)} after insert or update or delete on ${sql.table(table)}
                for each statement execute function layers_auth_changed()`.execute(db);
    }
    return;
  }
  for (const table of AUTH_TABLES) {
    for (const operation of ['insert', 'update', 'delete'] as const) {
      await sql`create trigger ${sql.raw(`${table}_auth_${operation}`)} after ${sql.raw(operation)} on ${sql.table(table)}
                begin update auth_version set version = version + 1 where id = 1; end`.execute(db);
    }
  }
}
