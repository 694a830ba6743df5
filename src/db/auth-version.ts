import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { sharedPerTurn, sharedReads } from './shared-reads.ts';

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
 * The version read, shared by the requests that ask at the same time (`share`, src/db/shared-reads.ts):
 * each request's answer is still read after it asked, so a change committed before it arrived is
 * seen. A failed read answers null: then nothing is trusted from the cache.
 */
function sharedVersion(readVersion: () => Promise<number | undefined>, share: typeof sharedReads): AuthVersion {
  const read = share(async () => {
    try {
      return new Map([[VERSION_KEY, (await readVersion()) ?? null]]);
    } catch {
      // Before the migrations have run, or on a closed database: no version, no cache.
      return new Map([[VERSION_KEY, null]]);
    }
  });
  return { current: async () => (await read(VERSION_KEY)) ?? null };
}

/** The version read has one value; the sharers key their answers. */
const VERSION_KEY = 'version';

/**
 * SQLite: one indexed read, shared by the requests of one turn of the event loop (`sharedPerTurn`).
 * It goes through Kysely like every other statement, so it never reads inside a group of
 * transactions that has not yet committed (src/db/sqlite-dialect.ts).
 */
export function sqliteAuthVersion(db: Kysely<Database>): AuthVersion {
  return sharedVersion(
    async () => (await db.selectFrom('auth_version').select('version').where('id', '=', 1).executeTakeFirst())?.version,
    sharedPerTurn,
  );
}

/** What the Postgres version read needs of a `pg.Pool`. */
export interface VersionSource {
  query(text: string): Promise<{ rows: Array<{ version: number }> }>;
}

/**
 * Postgres: one primary-key read, shared by the requests waiting for it (`sharedReads`: a request
 * never joins a read sent before it arrived). A NOTIFY would arrive after the commit, not with it,
 * so a request racing a kill could still be served from the cache; a read sent after the request
 * arrived cannot lose that race. Under load that is one round trip per batch of requests instead
 * of one each (docs/performance.md).
 */
export function postgresAuthVersion(pool: VersionSource): AuthVersion {
  return sharedVersion(async () => (await pool.query('select version from auth_version where id = 1')).rows[0]?.version, sharedReads);
}
