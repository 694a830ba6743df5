import { setImmediate } from 'node:timers/promises';
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool, type Transaction } from 'kysely';
import type { Clock } from './clock.ts';
import { ROWS_PER_BULK_STATEMENT } from './db/bulk-batches.ts';
import type { Engine } from './db/database.ts';
import type { Database } from './db/schema.ts';
import { settleAbandonedStates } from './social/state-settlement.ts';
import { cancelQueuesOfDeletedEndpoints } from './webhooks/endpoints.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** OAuth states stay readable through oauth-status well past the contract's 24 hours. */
const OAUTH_STATE_RETENTION_MS = 7 * DAY_MS;
/** Reconnect links stay readable (status, clicks, lastState) this long after they stopped working. */
const RECONNECT_LINK_RETENTION_MS = 30 * DAY_MS;
/** Settled webhook deliveries and their events stay listable and replayable for 30 days. */
const WEBHOOK_RETENTION_MS = 30 * DAY_MS;

/** Audit rows are kept this many days unless AUDIT_RETENTION_DAYS says otherwise (docs/security.md). */
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;

export interface PurgeResult {
  idempotencyRecords: number;
  oauthStates: number;
  /** States a crashed callback left in `processing`, now settled (their verifiers destroyed). */
  abandonedStates: number;
  /** Deliveries still queued for an endpoint deleted by a process that died before cancelling them all. */
  canceledDeliveries: number;
  webhookDeliveries: number;
  webhookEvents: number;
  auditRows: number;
  reconnectLinks: number;
}

/**
 * Deletes what has outlived its purpose. Idempotent and safe from several processes at once;
 * each statement is bounded by its own age condition, never by what another process read. Every
 * table is walked oldest first, a batch at a time (`purgeBefore`), so a large backlog never holds
 * the event loop, or SQLite's write lock, for long.
 */
export async function purgeExpired(
  database: { db: Kysely<Database>; engine: Engine },
  clock: Clock,
  options: { auditRetentionDays: number } = { auditRetentionDays: DEFAULT_AUDIT_RETENTION_DAYS },
): Promise<PurgeResult> {
  const { db } = database;
  const batchRows = ROWS_PER_BULK_STATEMENT[database.engine];
  const now = clock.now().getTime();
  const abandonedStates = await settleAbandonedStates(db, clock);
  const idempotencyRecords = await purgeBefore(db, batchRows, { table: 'idempotency_records', column: 'expires_at', before: new Date(now).toISOString() });
  const oauthStates = await purgeBefore(db, batchRows, {
    table: 'oauth_states',
    column: 'created_at',
    before: new Date(now - OAUTH_STATE_RETENTION_MS).toISOString(),
    // The PKCE verifier of an unused state goes with its row; a state minted before migration 0015
    // holds it in a vault entry of its own instead.
    async alongside(trx, batch) {
      const verifiers = await trx.selectFrom('oauth_states').select('verifier_entry_id').where(batch).where('verifier_entry_id', 'is not', null).execute();
      const ids = verifiers.map((v) => v.verifier_entry_id as string);
      if (ids.length > 0) await trx.deleteFrom('vault_entries').where('id', 'in', ids).execute();
    },
  });
  // Every link stops at its expiry at the latest (used and revoked ones earlier).
  const reconnectLinks = await purgeBefore(db, batchRows, {
    table: 'reconnect_links',
    column: 'expires_at',
    before: new Date(now - RECONNECT_LINK_RETENTION_MS).toISOString(),
  });
  const canceledDeliveries = await cancelQueuesOfDeletedEndpoints({ ...database, clock });
  const webhookCutoff = new Date(now - WEBHOOK_RETENTION_MS).toISOString();
  const webhookDeliveries = await purgeBefore(db, batchRows, {
    table: 'webhook_deliveries',
    column: 'created_at',
    before: webhookCutoff,
    // A paused endpoint keeps its queue however old it is. A literal, not a parameter: SQLite
    // uses the partial index that leaves pending deliveries out only for a term it can match.
    walk: (eb) => eb('status', '<>', sql.lit('pending')),
  });
  // After the deliveries: an event goes once no delivery names it.
  const webhookEvents = await purgeBefore(db, batchRows, {
    table: 'webhook_events',
    column: 'created_at',
    before: webhookCutoff,
    keep: (eb) => eb.exists(eb.selectFrom('webhook_deliveries').select('webhook_deliveries.id').whereRef('webhook_deliveries.event_id', '=', 'webhook_events.id')),
  });
  const auditRows = await purgeBefore(db, batchRows, {
    table: 'audit_log',
    column: 'at',
    before: new Date(now - options.auditRetentionDays * DAY_MS).toISOString(),
  });
  return { idempotencyRecords, oauthStates, abandonedStates, canceledDeliveries, webhookDeliveries, webhookEvents, auditRows, reconnectLinks };
}

/** Tables housekeeping purges, and the indexed time each one's retention counts from. */
interface PurgedTables {
  idempotency_records: 'expires_at';
  oauth_states: 'created_at';
  reconnect_links: 'expires_at';
  webhook_deliveries: 'created_at';
  webhook_events: 'created_at';
  audit_log: 'at';
}

type Condition<T extends keyof PurgedTables> = (eb: ExpressionBuilder<Database, T>) => Expression<SqlBool>;

interface Purge<T extends keyof PurgedTables> {
  table: T;
  column: PurgedTables[T];
  /** Rows whose `column` is before this go. */
  before: string;
  /** The only rows walked; the column's index holds only these. */
  walk?: Condition<T>;
  /** Rows walked, but kept. */
  keep?: Condition<T>;
  /** Deletes what a batch's rows hold elsewhere, in the batch's transaction, before the rows. */
  alongside?(trx: Transaction<Database>, batch: Condition<T>): Promise<void>;
}

/**
 * Deletes a table's rows whose `column` is before `before`, oldest first. Each batch reads the time
 * of the `batchRows`-th oldest row it has not walked yet, then deletes in one transaction every row
 * up to that time (all the rows of that very time, so the next batch starts after it), with the
 * event loop turning between batches. A statement walks at most a batch of the index (and the rows
 * sharing the batch's last time), so rows kept are walked once per run, not once per batch.
 */
async function purgeBefore<T extends keyof PurgedTables>(db: Kysely<Database>, batchRows: number, purge: Purge<T>): Promise<number> {
  // Kysely cannot type a query over "one of these tables"; the casts stay inside this function.
  type AnyBuilder = ExpressionBuilder<Record<string, Record<string, string>>, string>;
  const anyDb = db as unknown as Kysely<Record<string, Record<string, string>>>;
  const table: string = purge.table;
  const column: string = purge.column;
  const walk = purge.walk as ((eb: AnyBuilder) => Expression<SqlBool>) | undefined;
  const keep = purge.keep as ((eb: AnyBuilder) => Expression<SqlBool>) | undefined;
  // One lower and one upper bound each: given two upper bounds, a planner may walk to the wrong one.
  const walked = (eb: AnyBuilder, after: string | null, upper: Expression<SqlBool>) =>
    eb.and([...(after === null ? [] : [eb(column, '>', after)]), upper, ...(walk ? [walk(eb)] : [])]);
  let deleted = 0;
  for (let after: string | null = null; ; await setImmediate()) {
    const last: Record<string, string> | undefined = await anyDb
      .selectFrom(table)
      .select(column)
      .where((eb) => walked(eb, after, eb(column, '<', purge.before)))
      .orderBy(column)
      .limit(1)
      .offset(batchRows - 1)
      .executeTakeFirst();
    const upTo: string | null = last?.[column] ?? null;
    const batch = (eb: AnyBuilder): Expression<SqlBool> =>
      eb.and([walked(eb, after, upTo === null ? eb(column, '<', purge.before) : eb(column, '<=', upTo)), ...(keep ? [eb.not(keep(eb))] : [])]);
    deleted += await anyDb.transaction().execute(async (trx) => {
      await purge.alongside?.(trx as unknown as Transaction<Database>, batch as unknown as Condition<T>);
      const result = await trx.deleteFrom(table).where(batch).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
    if (upTo === null) return deleted;
    after = upTo;
  }
}
