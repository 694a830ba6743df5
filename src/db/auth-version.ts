import type { DatabaseSync, StatementSync } from 'node:sqlite';

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

/** What the Postgres version read needs of a `pg.Pool`. */
export interface VersionSource {
  query(text: string): Promise<{ rows: Array<{ version: number }> }>;
}

/**
 * Postgres: a primary-key read of the version, shared by the requests that wait for it. A NOTIFY
 * would arrive after the commit, not with it, so a request racing a kill could still be served
 * from the cache; a read cannot lose that race as long as it is sent after the request arrived.
 * So a request never joins a read already sent: it waits for the next one, which is sent once the
 * read in flight has answered and serves every request that arrived meanwhile. Under load that is
 * one round trip per batch of requests instead of one each (docs/performance.md), and every
 * request still sees each change committed before it arrived.
 */
export function postgresAuthVersion(pool: VersionSource): AuthVersion {
  let sent: Promise<number | null> | null = null;
  let next: Promise<number | null> | null = null;
  const read = async (): Promise<number | null> => {
    try {
      const result = await pool.query('select version from auth_version where id = 1');
      return result.rows[0]?.version ?? null;
    } catch {
      return null;
    }
  };
  const send = (): Promise<number | null> => {
    const reading = read();
    sent = reading;
    void reading.then(() => {
      if (sent === reading) sent = null;
    });
    return reading;
  };
  return {
    current() {
      if (sent === null) return send();
      next ??= sent.then(() => {
        next = null;
        return send();
      });
      return next;
    },
  };
}
