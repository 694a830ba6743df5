import { PostgresAdapter, type Compilable, type Kysely } from 'kysely';
import { preparedPerShape, preparedQuery } from './prepared-query.ts';
import type { Database } from './schema.ts';
import { sharedPerTurn, sharedReads } from './shared-reads.ts';

/** Ids one query carries at most; a larger batch is read in several queries. */
const IDS_PER_QUERY = 64;
const ID_SLOTS = Array.from({ length: IDS_PER_QUERY }, (_, index) => `id${index}`);

export interface ReadsById<Row> {
  /** The rows of the given ids (an absent id has none), one prepared query per 64 ids. */
  many(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, Row>>;
  /**
   * The row of one id. Outside a transaction, concurrent callers share one query, and each caller's
   * answer is still read after it asked (src/db/shared-reads.ts): on Postgres the callers waiting
   * for a round trip, on SQLite the callers of one turn of the event loop, because there the read
   * transaction a lone statement begins costs more than the read (docs/performance.md, "Shared reads").
   */
  one(db: Kysely<Database>, id: string): Promise<Row | undefined>;
}

/**
 * Reads of rows by id. `build` makes the query for a list of ids (`… where id in ids`), each id a
 * placeholder; it is prepared once per number of ids (src/db/prepared-query.ts). Other conditions
 * on the rows are better compared on the rows read: SQLite's planner has no statistics, and beside
 * an indexed condition it may walk that index instead of looking the ids up.
 */
export function readsById<Row extends { id: string }>(build: (db: Kysely<Database>, ids: never[]) => Compilable<Row>): ReadsById<Row> {
  const queryOf = preparedPerShape(({ size }: { size: number }) =>
    preparedQuery(ID_SLOTS.slice(0, size), (db, p) => build(db, ID_SLOTS.slice(0, size).map((slot) => p(slot)))),
  );
  const byOneId = queryOf({ size: 1 });
  const many = async (db: Kysely<Database>, ids: readonly string[]) => {
    const unique = [...new Set(ids)];
    const rows = new Map<string, Row>();
    for (let start = 0; start < unique.length; start += IDS_PER_QUERY) {
      const batch = unique.slice(start, start + IDS_PER_QUERY);
      const values = Object.fromEntries(batch.map((id, index) => [ID_SLOTS[index], id]));
      for (const row of await queryOf({ size: batch.length })(db, values)) rows.set(row.id, row);
    }
    return rows;
  };
  // One shared reader per database. A transaction reads alone: its queries run one at a time on
  // its own connection, inside its own read transaction, so there is nothing to share.
  const sharedOf = new WeakMap<Kysely<Database>, (id: string) => Promise<Row | undefined>>();
  return {
    many,
    async one(db, id) {
      if (db.isTransaction) {
        const [row] = await byOneId(db, { id0: id });
        return row;
      }
      let shared = sharedOf.get(db);
      if (!shared) {
        const share = db.getExecutor().adapter instanceof PostgresAdapter ? sharedReads : sharedPerTurn;
        sharedOf.set(db, (shared = share((ids: readonly string[]) => many(db, ids))));
      }
      return shared(id);
    },
  };
}
