import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { readsPerTurn, sharedReads } from './shared-reads.ts';

/**
 * The version of the authentication tables (api_keys, organizations, global_switches), which
 * triggers move on every change (migration 0012). Caches of authenticated keys are trusted only
 * while it has not moved since they were filled (src/api-keys/authenticate.ts).
 */
export interface AuthVersion {
  /** The version now, or null when it cannot be known right now: then nothing may be trusted from a cache. */
  current(): Promise<number | null>;
}

/**
 * SQLite: one indexed read of one row, shared by the requests of one turn of the event loop
 * (src/db/shared-reads.ts, `readsPerTurn`: made after each of them asked). It goes through Kysely
 * like every other statement, so it never reads inside a group of transactions that has not yet
 * committed (src/db/sqlite-dialect.ts).
 */
export function sqliteAuthVersion(db: Kysely<Database>): AuthVersion {
  const read = readsPerTurn(async () => {
    try {
      const row = await db.selectFrom('auth_version').select('version').where('id', '=', 1).executeTakeFirst();
      return new Map([[VERSION_KEY, row?.version ?? null]]);
    } catch {
      // Before the migrations have run, or on a closed database: no version, no cache.
      return new Map([[VERSION_KEY, null]]);
    }
  });
  return { current: async () => (await read(VERSION_KEY)) ?? null };
}

/** What the Postgres version read needs of a `pg.Pool`. */
export interface VersionSource {
  query(text: string): Promise<{ rows: Array<{ version: number }> }>;
}

/**
 * Postgres: one primary-key read of the version, shared by the requests waiting for it
 * (src/db/shared-reads.ts: a request never joins a read sent before it arrived). A NOTIFY would
 * arrive after the commit, not with it, so a request racing a kill could still be served from the
 * cache; a read sent after the request arrived cannot lose that race. Under load that is one round
 * trip per batch of requests instead of one each (docs/performance.md).
 */
export function postgresAuthVersion(pool: VersionSource): AuthVersion {
  const read = sharedReads(async () => {
    try {
      const result = await pool.query('select version from auth_version where id = 1');
      return new Map([[VERSION_KEY, result.rows[0]?.version ?? null]]);
    } catch {
      return new Map([[VERSION_KEY, null]]);
    }
  });
  return { current: async () => (await read(VERSION_KEY)) ?? null };
}

/** The version read has one value; sharedReads keys its answers. */
const VERSION_KEY = 'version';
