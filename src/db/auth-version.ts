import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type pg from 'pg';

/**
 * The version of the authentication tables (api_keys, organizations, global_switches), which
 * triggers move on every change (migration 0012). Caches of authenticated keys are trusted only
 * while it has not moved since they were filled (src/api-keys/authenticate.ts).
 */
export interface AuthVersion {
  /** The version now, or null when it cannot be known right now: then nothing may be trusted from a cache. */
  current(): Promise<number | null>;
}

/** SQLite: one indexed read of one row per request, on the process's own connection (a few µs). */
export function sqliteAuthVersion(database: DatabaseSync): AuthVersion {
  let statement: StatementSync | null = null;
  return {
    async current() {
      try {
        statement ??= database.prepare('select version from auth_version where id = 1');
        const row = statement.get() as { version: number } | undefined;
        return row?.version ?? null;
      } catch {
        // Before the migrations have run, or on a closed database: no version, no cache.
        return null;
      }
    },
  };
}

/**
 * Postgres: one primary-key read of the version per request, on the pool. A NOTIFY would arrive
 * after the commit, not with it, so a request racing a kill could still be served from the cache;
 * the read cannot lose that race and costs one round trip of a one-row table.
 */
export function postgresAuthVersion(pool: pg.Pool): AuthVersion {
  return {
    async current() {
      try {
        const result = await pool.query<{ version: number }>('select version from auth_version where id = 1');
        return result.rows[0]?.version ?? null;
      } catch {
        return null;
      }
    },
  };
}
