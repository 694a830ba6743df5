import { PostgresAdapter, sql, type Kysely } from 'kysely';

/** The lists whose pages are served from a cache while their version stands (src/http/listed-pages.ts). */
const VERSIONED_LISTS = ['social_accounts', 'scheduled_posts'] as const;

/**
 * SQLite: a version per project and list, which triggers move on every insert, update or delete of
 * the list's rows, whoever writes them (this server, another process, the operator CLI, a hand-run
 * statement). A listed page is served again from memory only while its project's version is the one
 * it was read under (docs/performance.md, "Listed pages").
 *
 * Not on Postgres: there a counter row per project would be a lock that every transaction writing
 * the project's accounts or posts waits for, and two transactions that wrote the two lists in
 * opposite orders would deadlock on the two counters. Postgres checks a cached page against the
 * row versions it already keeps (`xmin`) instead (src/db/list-versions.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return;
  let table = db.schema.createTable('list_versions').addColumn('project_id', 'text', (c) => c.primaryKey());
  for (const list of VERSIONED_LISTS) table = table.addColumn(list, 'integer', (c) => c.notNull().defaultTo(0));
  await table.execute();
  for (const list of VERSIONED_LISTS) {
    const column = sql.ref(list);
    const bump = (row: 'new' | 'old') => sql`
      insert or ignore into list_versions (project_id) values (${sql.raw(row)}.project_id);
      update list_versions set ${column} = ${column} + 1 where project_id = ${sql.raw(row)}.project_id;`;
    await sql`create trigger ${sql.raw(`${list}_list_insert`)} after insert on ${sql.table(list)} begin ${bump('new')} end`.execute(db);
    await sql`create trigger ${sql.raw(`${list}_list_delete`)} after delete on ${sql.table(list)} begin ${bump('old')} end`.execute(db);
    // A row moved to another project (never by this server) changes both projects' pages.
    await sql`create trigger ${sql.raw(`${list}_list_update`)} after update on ${sql.table(list)} begin ${bump('new')}
                update list_versions set ${column} = ${column} + 1 where project_id = old.project_id and old.project_id is not new.project_id; end`.execute(db);
  }
}
