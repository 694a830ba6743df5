import { PostgresAdapter, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { sharedPerTurn } from './shared-reads.ts';

/** The two ways of inserting a table's rows that a batch is written with. */
export interface RowInserts<Row> {
  /** One row, by a query compiled once (src/db/prepared-query.ts). */
  one: (db: Kysely<Database>, row: Row) => Promise<unknown>;
  /** Several rows in one statement. */
  many: (db: Kysely<Database>, rows: readonly Row[]) => Promise<unknown>;
}

/** Rows one statement carries at most (a few thousand parameters, far below either engine's limit). */
const ROWS_PER_STATEMENT = 256;

/**
 * Inserts that may wait for the end of the turn of the event loop, written together: the rows asked
 * for in one turn go out once the turn's callbacks have run (`sharedPerTurn`), and each caller's
 * promise settles when its own row is stored. A lone insert costs a commit on SQLite (a WAL frame per
 * page it touches, about 70 µs) and a round trip on Postgres (three with a transaction around it);
 * a turn's rows cost one of each (docs/performance.md, "Fifth round" and "Eighth round"):
 *
 * - SQLite: each row by its prepared statement, all of them in one transaction. A statement of many
 *   rows would be compiled and prepared anew for every number of rows, which cost more than the
 *   rows themselves.
 * - Postgres: statements of up to 256 rows, one round trip each.
 *
 * A batch is all or nothing, so when one fails for what may be one row's fault (a constraint, a
 * refused value), its rows are written again one by one: only the caller whose row cannot be
 * written fails, never the others of its turn. Any other failure fails the whole batch at once.
 */
export function insertsPerTurn<Row>(inserts: RowInserts<Row>): (db: Kysely<Database>, row: Row) => Promise<void> {
  const writers = new WeakMap<Kysely<Database>, (row: Row) => Promise<{ error: unknown } | undefined>>();
  return async (db, row) => {
    let write = writers.get(db);
    if (!write) writers.set(db, (write = sharedPerTurn((rows: readonly Row[]) => writeTurn(db, inserts, rows))));
    const failure = await write(row);
    if (failure) throw failure.error;
  };
}

async function writeTurn<Row>(db: Kysely<Database>, inserts: RowInserts<Row>, rows: readonly Row[]): Promise<Map<Row, { error: unknown }>> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const write = (batch: readonly Row[]) =>
    postgres
      ? inserts.many(db, batch)
      : db.transaction().execute(async (trx) => {
          for (const row of batch) await inserts.one(trx, row);
        });
  const size = postgres ? ROWS_PER_STATEMENT : rows.length;
  const failures = new Map<Row, { error: unknown }>();
  for (let start = 0; start < rows.length; start += size) {
    const batch = rows.slice(start, start + size);
    await write(batch).catch(async (error: unknown) => {
      if (batch.length === 1 || !mayBeOneRowsFault(error)) {
        for (const row of batch) failures.set(row, { error });
        return;
      }
      for (const row of batch) await write([row]).catch((alone: unknown) => failures.set(row, { error: alone }));
    });
  }
  return failures;
}

/** SQLITE_TOOBIG, SQLITE_CONSTRAINT, SQLITE_MISMATCH: the primary result codes a row's values can cause. */
const SQLITE_ROW_FAULTS = new Set([18, 19, 20]);

/**
 * True when a failed batch may have failed for one of its rows: a constraint it broke or a value the
 * database refused (SQLite's codes above; Postgres SQLSTATE classes 22, data exception, and 23,
 * integrity constraint violation). Anything else (a lock held past the busy timeout, a lost
 * connection, a full disk) would fail every row again, one after the other: on SQLite each retry
 * would wait out the busy timeout anew, with the whole process waiting beside it.
 */
function mayBeOneRowsFault(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  if (typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)) return true;
  return typeof errcode === 'number' && SQLITE_ROW_FAULTS.has(errcode & 0xff);
}
