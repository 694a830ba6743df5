import type { DatabaseSync, StatementSync } from 'node:sqlite';
import pg from 'pg';

/**
 * The version of the authentication tables (api_keys, organizations, global_switches), which
 * triggers move on every change (migration 0012). Caches of authenticated keys are trusted only
 * while it has not moved since they were filled (src/api-keys/authenticate.ts).
 */
export interface AuthVersion {
  /** The version now, or null when it cannot be known right now: then nothing may be trusted from a cache. */
  current(): number | null;
  close(): Promise<void>;
}

/** SQLite: one indexed read of one row per request, on the process's own connection (a few µs). */
export function sqliteAuthVersion(database: DatabaseSync): AuthVersion {
  let statement: StatementSync | null = null;
  return {
    current() {
      try {
        statement ??= database.prepare('select version from auth_version where id = 1');
        const row = statement.get() as { version: number } | undefined;
        return row?.version ?? null;
      } catch {
        // Before the migrations have run, or on a closed database: no version, no cache.
        return null;
      }
    },
    async close() {},
  };
}

const RECONNECT_MS = 1_000;

/**
 * Postgres: the triggers NOTIFY `layers_auth`; a listening connection counts the notifications, so
 * a request reads no version from the database. The count also moves whenever the listener
 * (re)connects, since notifications sent while it was away are lost; while it is away the version
 * is unknown (null) and every request authenticates against the database.
 */
export function postgresAuthVersion(connection: pg.ClientConfig): AuthVersion {
  let client: pg.Client | null = null;
  let seen = 0;
  let listening = false;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;

  const connect = (): void => {
    if (closed || client) return;
    const listener = new pg.Client(connection);
    client = listener;
    const lost = (): void => {
      if (client !== listener) return;
      listening = false;
      client = null;
      void listener.end().catch(() => {});
      if (!closed) {
        retry = setTimeout(connect, RECONNECT_MS);
        retry.unref();
      }
    };
    listener.on('notification', () => {
      seen++;
    });
    listener.on('error', lost);
    listener.on('end', lost);
    listener
      .connect()
      .then(() => listener.query('listen layers_auth'))
      .then(() => {
        if (client !== listener) return;
        seen++;
        listening = true;
      })
      .catch(lost);
  };

  return {
    current() {
      if (!listening) {
        connect();
        return null;
      }
      return seen;
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const listener = client;
      client = null;
      listening = false;
      await listener?.end().catch(() => {});
    },
  };
}
