import type { Kysely } from 'kysely';

/**
 * The delivery worker claimed in one walk down a due index over every endpoint's deliveries,
 * checking each delivery's endpoint as it went, so every claim walked past the queues it could not
 * take: an endpoint's that is paused (by its partner, or after its failures) and an endpoint's that
 * this process is already sending to. 90,000 of them cost 60 ms a claim on SQLite (docs/performance.md,
 * "Fifteenth round"). It now finds the active endpoints whose first due delivery comes first, and
 * claims each one's first deliveries: an index per endpoint, in due order.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_due_idx').execute();
  await db.schema
    .createIndex('webhook_deliveries_due_idx')
    .on('webhook_deliveries')
    .columns(['endpoint_id', 'status', 'next_attempt_at', 'event_id', 'id'])
    .execute();
}
