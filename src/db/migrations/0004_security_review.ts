import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Stored idempotent responses are sealed by the vault from now on (docs/security.md). The ones
  // stored in the clear before (some hold a webhook signing secret) go: a retry of one of those
  // requests within its 24 hours runs again instead of replaying.
  await db.deleteFrom('idempotency_records').where('response_body', 'is not', null).execute();
  // Housekeeping purges audit rows by age and settles states a crashed callback left behind.
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();
  await db.schema.createIndex('oauth_states_status_updated_idx').on('oauth_states').columns(['status', 'updated_at']).execute();
}
