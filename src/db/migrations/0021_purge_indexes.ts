import { sql, type Kysely } from 'kysely';

/**
 * Housekeeping deleted the webhook events past their retention that no delivery still names with
 * one statement whose check for a delivery had no index to use: on SQLite it read every delivery
 * for every old event, so 50,000 old events beside 50,000 deliveries held the event loop for six
 * minutes (docs/performance.md, "Sixteenth round"). Each purge now walks its table in the order of
 * the time its retention counts from, a batch at a time (src/housekeeping.ts); these are the indexes
 * those walks and that check use. The deliveries' walk leaves out the pending ones (a paused
 * endpoint keeps its queue however old), so their index does too.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('webhook_deliveries_event_idx').on('webhook_deliveries').column('event_id').execute();
  await db.schema
    .createIndex('webhook_deliveries_settled_created_idx')
    .on('webhook_deliveries')
    .column('created_at')
    .where(sql.ref('status'), '<>', 'pending')
    .execute();
  await db.schema.createIndex('webhook_events_created_idx').on('webhook_events').column('created_at').execute();
  await db.schema.createIndex('reconnect_links_expires_idx').on('reconnect_links').column('expires_at').execute();
}
