import type { Expression, ExpressionBuilder, Kysely, Selectable, SqlBool } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Engine } from '../db/database.ts';
import type { Database } from '../db/schema.ts';

/**
 * A lease is the right, until a time, to work one row. Its value (the ISO timestamp written into the
 * row's lease column) is also a compare-and-set token: an outcome is written only `where lease = token`,
 * so a process whose lease lapsed (it stalled, or died and another took over) cannot overwrite the
 * newer holder's work. Nothing else marks ownership: a dead process's claim simply expires.
 */
export interface Lease {
  readonly until: string;
}

/** Tables whose rows are work items: each has a text `id` and a nullable lease timestamp column. */
export interface LeasedTables {
  webhook_deliveries: 'locked_until';
  social_accounts: 'refresh_lease_until';
  periodic_tasks: 'locked_until';
  scheduled_posts: 'locked_until';
  metric_accounts: 'locked_until';
}

export type LeasedTable = keyof LeasedTables;

export interface ClaimSpec<T extends LeasedTable> {
  table: T;
  /** Which rows are due, besides not being leased by someone else. */
  due: (eb: ExpressionBuilder<Database, T>) => Expression<SqlBool>;
  /** Due order; `id` breaks ties. */
  orderBy: ReadonlyArray<keyof Database[T] & string>;
  limit: number;
  leaseMs: number;
}

/**
 * Claims up to `limit` due rows that nobody holds (no lease, or a lapsed one), leasing each to this
 * process, in due order. On Postgres the candidates are locked `FOR UPDATE SKIP LOCKED`, so claimers
 * never wait on each other; the lease condition is re-checked on the locked row, so a claimer that
 * lost a race claims nothing. SQLite has one writer at a time, which serialises claims by itself.
 */
export async function claimDue<T extends LeasedTable>(
  db: Kysely<Database>,
  engine: Engine,
  clock: Clock,
  spec: ClaimSpec<T>,
): Promise<Array<Selectable<Database[T]> & { id: string }>> {
  // Kysely cannot type a query over "one of these tables"; the casts stay inside this function.
  const anyDb = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  const table: string = spec.table;
  const column = leaseColumn(spec.table);
  const now = clock.now().toISOString();
  const until = new Date(clock.now().getTime() + spec.leaseMs).toISOString();
  const free = (eb: ExpressionBuilder<Record<string, Record<string, unknown>>, string>) =>
    eb.or([eb(column, 'is', null), eb(column, '<', now)]);
  let candidates = anyDb
    .selectFrom(table)
    .select('id')
    .where((eb) => eb.and([spec.due(eb as unknown as ExpressionBuilder<Database, T>), free(eb)]))
    .limit(spec.limit);
  for (const column of [...spec.orderBy, 'id']) candidates = candidates.orderBy(column);
  if (engine === 'postgres') candidates = candidates.forUpdate().skipLocked();
  const rows = await anyDb
    .updateTable(table)
    .set({ [column]: until })
    .where('id', 'in', candidates)
    .where(free)
    .returningAll()
    .execute();
  const order = spec.orderBy;
  return (rows as Array<Selectable<Database[T]> & { id: string }>).sort((a, b) => {
    for (const key of [...order, 'id'] as string[]) {
      const left = String((a as Record<string, unknown>)[key] ?? '');
      const right = String((b as Record<string, unknown>)[key] ?? '');
      if (left !== right) return left < right ? -1 : 1;
    }
    return 0;
  });
}

/** The lease a claimed row carries. */
export function leaseOf<T extends LeasedTable>(table: T, row: Selectable<Database[T]>): Lease {
  return { until: String((row as Record<string, unknown>)[leaseColumn(table)]) };
}

/** Extends a lease still held (compare-and-set); null when it was lost. */
export async function renewLease(db: Kysely<Database>, clock: Clock, table: LeasedTable, id: string, lease: Lease, leaseMs: number): Promise<Lease | null> {
  const anyDb = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  const column = leaseColumn(table);
  const until = new Date(clock.now().getTime() + leaseMs).toISOString();
  const result = await anyDb.updateTable(table as string).set({ [column]: until }).where('id', '=', id).where(column, '=', lease.until).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1 ? { until } : null;
}

const LEASE_COLUMNS: LeasedTables = {
  webhook_deliveries: 'locked_until',
  social_accounts: 'refresh_lease_until',
  periodic_tasks: 'locked_until',
  scheduled_posts: 'locked_until',
  metric_accounts: 'locked_until',
};

function leaseColumn(table: LeasedTable): string {
  return LEASE_COLUMNS[table];
}
