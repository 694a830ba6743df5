import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { postgresAuthVersion, sqliteAuthVersion, type AuthVersion } from './auth-version.ts';
import { postgresListVersions, sqliteListVersions, type ListVersions } from './list-versions.ts';
import { adaptNodeSqlite } from './node-sqlite-adapter.ts';
import { GroupCommitSqliteDialect } from './sqlite-dialect.ts';
import type { Database } from './schema.ts';

export type Engine = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /** The version of the authentication tables, for caches of authenticated keys. */
  authVersion: AuthVersion;
  /** The versions listed pages are served again from memory under (src/http/listed-pages.ts). */
  listVersions: ListVersions;
  /** Close every connection. */
  destroy(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Postgres only: run every connection inside this schema (tests use one schema each). */
  schema?: string;
  /** Postgres pool size. */
  maxConnections?: number;
}

/** Opens `sqlite:<path>` (node:sqlite, WAL) or `postgres://…` (pg pool). */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): DatabaseHandle {
  return url.startsWith('sqlite:') ? openSqlite(url.slice('sqlite:'.length)) : openPostgres(url, options);
}

/** The most memory a SQLite connection's page cache holds, in KiB (a negative `cache_size` is KiB). */
export const PAGE_CACHE_KIB = 16 * 1024;

/** How long a SQLite statement waits for another process's lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

function openSqlite(file: string): DatabaseHandle {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  // WAL lets the operator CLI read and write while the server runs; the busy timeout makes the
  // two wait for each other instead of failing with SQLITE_BUSY. It is set when the file is opened,
  // before the first statement: even setting the journal mode reads the file, and a process that
  // is closing holds it exclusively for a moment (docs/operations.md).
  const database = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
  // temp_store = MEMORY keeps a transaction's sub-journal (the pages a savepoint or a statement may
  // have to roll back) in memory: past 64 KiB SQLite spilled it to a temporary file, created, written
  // a page at a time and deleted once per group commit of a busy turn, a quarter of the writes of a
  // server minting consent URLs (docs/performance.md, "Eighteenth round"). A sort that outgrows the
  // page cache would go to memory too; migrations, which build indexes over whole tables, sort on
  // disk (src/db/migrate.ts). The page cache holds up to 16 MiB, not SQLite's default 2: a server
  // delivering a backlog works over the pages of the queued deliveries, their events and six indexes,
  // and with 2 MiB, once 30,000 deliveries waited, it read one or two pages back from the kernel per
  // delivery (docs/performance.md, "Nineteenth round"). The cache grows only as pages are read.
  database.exec(
    `PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -${PAGE_CACHE_KIB};`,
  );
  const db = new Kysely<Database>({ dialect: new GroupCommitSqliteDialect({ database: adaptNodeSqlite(database) }) });
  return { db, engine: 'sqlite', authVersion: sqliteAuthVersion(db), listVersions: sqliteListVersions(db), destroy: () => db.destroy() };
}

function openPostgres(connectionString: string, options: OpenDatabaseOptions): DatabaseHandle {
  const connection = { connectionString, ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}) };
  const pool = new pg.Pool({ ...connection, max: options.maxConnections ?? 10 });
  pool.on('error', () => {
    // An idle connection that Postgres ended (a restart, pg_terminate_backend, a proxy's idle
    // timeout) is dropped from the pool, and the next query opens another. Without a listener
    // the error would end the process; a query that was running fails on its own.
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, engine: 'postgres', authVersion: postgresAuthVersion(pool), listVersions: postgresListVersions(), destroy: () => db.destroy() };
}
