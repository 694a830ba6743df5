import {
  CompiledQuery,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDialectConfig,
} from 'kysely';

/**
 * Kysely's SqliteDialect with two changes to its transactions (docs/performance.md, "Fifth
 * round": group commit):
 *
 * - **They take the write lock when they begin.** Kysely begins a SQLite transaction DEFERRED: it
 *   becomes a writer at its first write. In WAL mode, if another process (the operator CLI, a second
 *   server on the same file) committed after the transaction's first read, that upgrade fails with
 *   SQLITE_BUSY at once: the busy timeout cannot help, because waiting would not make the
 *   transaction's snapshot current. Beginning IMMEDIATE makes the other writer wait for the busy
 *   timeout instead (docs/operations.md, "The CLI beside a running server").
 * - **The transactions of one turn of the event loop commit together.** A commit appends a WAL frame
 *   for every page the transaction changed (about 70 µs for a row and its indexes), and transactions
 *   that follow each other mostly change the same pages. So a transaction that begins while the one
 *   before it has not yet committed runs inside it, as a savepoint: its failure rolls back only its
 *   own work. The group commits at the end of the turn, or before any statement that is not part of
 *   a transaction runs (so such a statement never sees, nor joins, work that could still fail to
 *   commit), and only then does each member's commit return: nobody is told "done" before the data
 *   is. If the commit fails, every member fails with it.
 *
 * Within one process nothing else changes: Kysely runs one transaction at a time on its single
 * connection, and each member sees the members before it as it would have seen them committed.
 */
export class GroupCommitSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new GroupCommitDriver(this.#config);
  }
}

/** The members' savepoint; distinct from any name the code gives its own savepoints. */
const MEMBER = 'layers_group_member';

/** An open group: the outer transaction, and what its members wait for. */
interface Group {
  committed: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** One holder's use of the single connection, so the driver knows who releases what. */
class Acquisition implements DatabaseConnection {
  member = false;
  released = false;
  readonly #driver: GroupCommitDriver;
  readonly inner: DatabaseConnection;

  constructor(driver: GroupCommitDriver, inner: DatabaseConnection) {
    this.#driver = driver;
    this.inner = inner;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.member) await this.#driver.commitGroup(this.inner);
    return this.inner.executeQuery<R>(query);
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    if (!this.member) await this.#driver.commitGroup(this.inner);
    yield* this.inner.streamQuery<R>(query, chunkSize);
  }
}

class GroupCommitDriver extends SqliteDriver {
  #group: Group | null = null;

  override async acquireConnection(): Promise<DatabaseConnection> {
    return new Acquisition(this, await super.acquireConnection());
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const holder = connection as Acquisition;
    if (this.#group === null) {
      await holder.inner.executeQuery(CompiledQuery.raw('begin immediate'));
      const { promise: committed, resolve, reject } = Promise.withResolvers<void>();
      // A group whose members all failed has nobody waiting for it.
      committed.catch(() => {});
      this.#group = { committed, resolve, reject };
      // The end of the turn: once the transactions of this turn have had the connection.
      setImmediate(() => void this.#commitWhenFree());
    }
    await holder.inner.executeQuery(CompiledQuery.raw(`savepoint ${MEMBER}`));
    holder.member = true;
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const holder = connection as Acquisition;
    const group = this.#group as Group;
    await holder.inner.executeQuery(CompiledQuery.raw(`release ${MEMBER}`));
    holder.member = false;
    // The connection is free for the next transaction of this turn; the group commits after it.
    await this.releaseConnection(holder);
    await group.committed;
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const holder = connection as Acquisition;
    // A member whose group failed to commit has nothing left to roll back.
    if (!holder.member) return;
    holder.member = false;
    try {
      await holder.inner.executeQuery(CompiledQuery.raw(`rollback to ${MEMBER}`));
      await holder.inner.executeQuery(CompiledQuery.raw(`release ${MEMBER}`));
    } catch (error) {
      // SQLite rolled the whole transaction back (it does so on a full disk or an I/O error): the
      // members before this one are lost too, and learn it now.
      const group = this.#group;
      this.#group = null;
      group?.reject(error);
    }
  }

  // Kysely passes the connection it releases (its Driver interface), though SqliteDriver's own
  // signature omits it.
  override async releaseConnection(connection?: DatabaseConnection): Promise<void> {
    const holder = connection as Acquisition;
    if (holder.released) return;
    holder.released = true;
    await super.releaseConnection();
  }

  override async destroy(): Promise<void> {
    await this.#commitWhenFree();
    await super.destroy();
  }

  /** Commits the open group, if any; the caller holds the connection. */
  async commitGroup(connection: DatabaseConnection): Promise<void> {
    const group = this.#group;
    if (group === null) return;
    this.#group = null;
    try {
      await connection.executeQuery(CompiledQuery.raw('commit'));
      group.resolve();
    } catch (error) {
      await connection.executeQuery(CompiledQuery.raw('rollback')).catch(() => {});
      group.reject(error);
    }
  }

  async #commitWhenFree(): Promise<void> {
    if (this.#group === null) return;
    const connection = await super.acquireConnection();
    try {
      await this.commitGroup(connection);
    } finally {
      await super.releaseConnection();
    }
  }
}
