import { PostgresAdapter, type Kysely } from 'kysely';

const POST_COUNTERS = ['views', 'reach', 'likes', 'comments', 'shares', 'saves'] as const;

/**
 * Metrics history (docs/reference/metrics.md, docs/design/metrics-storage.md). Counters are stored as
 * what changed per UTC hour: one row per post per hour in which any counter moved, and one row per
 * account per hour it was synced (that row is also the proof the hour was measured). Posts are
 * known in the hourly table by a small integer instead of their 39-character id: that table is the
 * one that grows with posts × hours.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;

  // One row per social account that is synced: its place in the sync queue (a job-mechanism row,
  // docs/design/jobs.md) and the last follower count read, from which the next delta is taken.
  await db.schema
    .createTable('metric_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('next_sync_at', 'text', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('last_synced_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('followers', 'bigint')
    .execute();
  await db.schema.createIndex('metric_accounts_due_idx').on('metric_accounts').columns(['next_sync_at']).execute();

  // Per account per synced hour: follower count at the hour's last sync, and the sum of its posts'
  // counter deltas (null: that counter was not measured in that hour).
  let accountHours = db.schema
    .createTable('metric_account_hours')
    .addColumn('social_account_id', 'text', (c) => c.notNull())
    .addColumn('hour', 'integer', (c) => c.notNull())
    .addColumn('followers', 'bigint')
    .addColumn('follower_delta', 'bigint');
  for (const counter of POST_COUNTERS) accountHours = accountHours.addColumn(counter, 'bigint');
  await accountHours.addPrimaryKeyConstraint('metric_account_hours_pk', ['social_account_id', 'hour']).execute();

  // Per post the platform answered with counters: its integer series number, the hour it was first
  // measured (a post's buckets before it read null), and its last cumulative counters (deltas are
  // taken from these; top performers rank on them).
  let posts = db.schema
    .createTable('metric_posts')
    .addColumn('series', postgres ? 'serial' : 'integer', (c) => c.primaryKey())
    .addColumn('scheduled_post_id', 'text', (c) => c.notNull().unique())
    .addColumn('first_hour', 'integer', (c) => c.notNull());
  for (const counter of POST_COUNTERS) posts = posts.addColumn(counter, 'bigint');
  await posts.execute();

  // Per post per hour in which a counter moved: the deltas (an hour without a row moved nothing, if its account was synced).
  let postHours = db.schema.createTable('metric_post_hours').addColumn('series', 'integer', (c) => c.notNull()).addColumn('hour', 'integer', (c) => c.notNull());
  for (const counter of POST_COUNTERS) postHours = postHours.addColumn(counter, 'integer');
  await postHours.addPrimaryKeyConstraint('metric_post_hours_pk', ['series', 'hour']).execute();
}
