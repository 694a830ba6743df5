import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';

/**
 * Kysely's SqliteDialect, with transactions that take the write lock when they begin.
 *
 * Kysely begins a SQLite transaction DEFERRED: it becomes a writer at its first write. In WAL mode,
 * if another process (the operator CLI, a second server on the same file) committed after the
 * transaction's first read, that upgrade fails with SQLITE_BUSY at once: the busy timeout cannot
 * help, because waiting would not make the transaction's snapshot current. Beginning IMMEDIATE
 * makes the other writer wait for the busy timeout instead (docs/operations.md, "The CLI beside a
 * running server"). Within one process nothing changes: Kysely runs one transaction at a time on
 * its single connection.
 */
export class ImmediateTransactionsSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateTransactionsDriver(this.#config);
  }
}

class ImmediateTransactionsDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
