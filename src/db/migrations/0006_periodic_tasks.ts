import type { Kysely } from 'kysely';

/** Periodic background tasks (housekeeping, …) as rows, so one process runs each when it is due (docs/design/jobs.md). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('periodic_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('next_run_at', 'text', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('last_run_at', 'text')
    .addColumn('last_error', 'text')
    .execute();
}
