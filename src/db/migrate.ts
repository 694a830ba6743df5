import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { DatabaseHandle } from './database.ts';
import * as foundation from './migrations/0001_foundation.ts';
import * as socialAccounts from './migrations/0002_social_accounts.ts';
import * as webhooks from './migrations/0003_webhooks.ts';

/** Every migration, in order. Imported statically so the set is the same on every engine and bundle. */
const migrations: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_social_accounts': socialAccounts,
  '0003_webhooks': webhooks,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Brings the schema up to date; safe to run from several processes at once (Kysely takes a lock). */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  // Kysely looks for its bookkeeping table by name across schemas unless told which one is ours.
  const migrator = new Migrator({ db: handle.db, provider, ...(handle.schema ? { migrationTableSchema: handle.schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
