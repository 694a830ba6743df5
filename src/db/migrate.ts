import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { DatabaseHandle } from './database.ts';
import * as foundation from './migrations/0001_foundation.ts';
import * as socialAccounts from './migrations/0002_social_accounts.ts';
import * as webhooks from './migrations/0003_webhooks.ts';
import * as securityReview from './migrations/0004_security_review.ts';
import * as periodicTasks from './migrations/0006_periodic_tasks.ts';
import * as content from './migrations/0007_content.ts';
import * as scheduledPosts from './migrations/0009_scheduled_posts.ts';
import * as metrics from './migrations/0010_metrics.ts';
import * as reconnectLinks from './migrations/0011_reconnect_links.ts';
import * as authVersion from './migrations/0012_auth_version.ts';
import * as listIndexes from './migrations/0013_list_indexes.ts';
import * as listVersions from './migrations/0014_list_versions.ts';
import * as sealedCodeVerifier from './migrations/0015_sealed_code_verifier.ts';
import * as metricAccountsDueOrder from './migrations/0016_metric_accounts_due_order.ts';
import * as scheduledPostsDueOrder from './migrations/0017_scheduled_posts_due_order.ts';
import * as metricAccountsNotDue from './migrations/0018_metric_accounts_not_due.ts';
import * as postsBehindPublishing from './migrations/0019_posts_behind_publishing.ts';
import * as webhookDeliveriesDuePerEndpoint from './migrations/0020_webhook_deliveries_due_per_endpoint.ts';
import * as purgeIndexes from './migrations/0021_purge_indexes.ts';
import * as processingStatesIdx from './migrations/0022_processing_states_idx.ts';

/** Every migration, in order. Imported statically so the set is the same on every engine and bundle. */
const migrations: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_social_accounts': socialAccounts,
  '0003_webhooks': webhooks,
  '0004_security_review': securityReview,
  '0006_periodic_tasks': periodicTasks,
  '0007_content': content,
  '0009_scheduled_posts': scheduledPosts,
  '0010_metrics': metrics,
  '0011_reconnect_links': reconnectLinks,
  '0012_auth_version': authVersion,
  '0013_list_indexes': listIndexes,
  '0014_list_versions': listVersions,
  '0015_sealed_code_verifier': sealedCodeVerifier,
  '0016_metric_accounts_due_order': metricAccountsDueOrder,
  '0017_scheduled_posts_due_order': scheduledPostsDueOrder,
  '0018_metric_accounts_not_due': metricAccountsNotDue,
  '0019_posts_behind_publishing': postsBehindPublishing,
  '0020_webhook_deliveries_due_per_endpoint': webhookDeliveriesDuePerEndpoint,
  '0021_purge_indexes': purgeIndexes,
  '0022_processing_states_idx': processingStatesIdx,
};

/** Every migration's name, in the order they run. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrations);

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Brings the schema up to date; safe to run from several processes at once (Kysely takes a lock). */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  // Kysely looks for its bookkeeping table by name across every schema unless told which one is
  // ours; on Postgres that is the connection's current schema, however the search path was set
  // (a `schema` option, or `?options=-c search_path=…` in DATABASE_URL).
  const schema = handle.engine === 'postgres' ? await currentSchema(handle) : null;
  const migrator = new Migrator({ db: handle.db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  return handle.engine === 'sqlite' ? withTemporaryStorageOnDisk(handle, () => migrate(migrator, schema)) : migrate(migrator, schema);
}

async function migrate(migrator: Migrator, schema: string | null): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    // Kysely reports a failed migration in `error` but throws when it cannot even find its own table.
    const { error, results } = await migrator.migrateToLatest().catch((thrown: unknown) => ({ error: thrown, results: undefined }));
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    // Kysely's introspection reads every schema's tables; a schema someone else drops in that
    // moment (another test run, another tenant on a shared database) fails the read, not us.
    if (!(isDroppedSchemaError(error, schema) && attempt < MAX_ATTEMPTS)) throw error instanceof Error ? error : new Error(String(error));
  }
}

const MAX_ATTEMPTS = 5;

/**
 * SQLite connections keep temporary storage in memory (src/db/database.ts), and a sort that
 * outgrows the page cache spills there too: an index a migration builds over a table of millions
 * of rows would hold all of its keys in memory at once. Migrations sort on disk, as SQLite's
 * default does, and the connection's setting comes back after them.
 */
async function withTemporaryStorageOnDisk<T>(handle: DatabaseHandle, run: () => Promise<T>): Promise<T> {
  const { rows } = await sql<{ temp_store: number }>`PRAGMA temp_store`.execute(handle.db);
  await sql`PRAGMA temp_store = FILE`.execute(handle.db);
  try {
    return await run();
  } finally {
    await sql.raw(`PRAGMA temp_store = ${rows[0]?.temp_store ?? 0}`).execute(handle.db);
  }
}

/** Postgres "schema … does not exist" (SQLSTATE 3F000) about a schema other than ours. */
function isDroppedSchemaError(error: unknown, ours: string | null): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return e.code === '3F000' && typeof e.message === 'string' && !(ours !== null && e.message.includes(`"${ours}"`));
}

async function currentSchema(handle: DatabaseHandle): Promise<string | null> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(handle.db);
  return rows[0]?.schema ?? null;
}
