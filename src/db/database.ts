import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { adaptNodeSqlite } from './node-sqlite-adapter.ts';
import type { Database } from './schema.ts';

export type Engine = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
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
  const db = url.startsWith('sqlite:') ? openSqlite(url.slice('sqlite:'.length)) : openPostgres(url, options);
  return {
    db,
    engine: url.startsWith('sqlite:') ? 'sqlite' : 'postgres',
    destroy: () => db.destroy(),
  };
}

function openSqlite(file: string): Kysely<Database> {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new DatabaseSync(file);
  // WAL lets the operator CLI read and write while the server runs; the busy timeout makes the
  // two wait for each other instead of failing with SQLITE_BUSY.
  database.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: adaptNodeSqlite(database) }) });
}

function openPostgres(connectionString: string, options: OpenDatabaseOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 10,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
