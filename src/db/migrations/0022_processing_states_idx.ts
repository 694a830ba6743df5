import { sql, type Kysely } from 'kysely';

/**
 * Housekeeping looks for states a crashed callback left in `processing` (src/social/state-settlement.ts)
 * by an index of every state's status and last change, which each consent URL wrote an entry into;
 * on SQLite that entry's page was one of the 33 WAL frames of a busy turn's commit (docs/performance.md,
 * "Eighteenth round"). Only states in `processing` are indexed now: a state is there for the moments
 * its callback runs, so minting one writes nothing into this index.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('oauth_states_status_updated_idx').execute();
  await db.schema
    .createIndex('oauth_states_processing_updated_idx')
    .on('oauth_states')
    .column('updated_at')
    .where(sql.ref('status'), '=', 'processing')
    .execute();
}
