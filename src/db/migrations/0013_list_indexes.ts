import type { Kysely } from 'kysely';

/**
 * One index per listing filter, each ending in the list's sort key, so a filtered page is a walk
 * down the index from the cursor that stops after `limit + 1` rows: the same cost on a project of
 * a thousand rows as on one of a million (docs/performance.md, "Listing at scale"). Filters that
 * take several values (statuses) walk once per value and merge (src/http/pagination.ts).
 */
const INDEXES: Array<[name: string, table: string, columns: string[]]> = [
  ['social_accounts_project_platform_idx', 'social_accounts', ['project_id', 'platform', 'connected_at', 'id']],
  ['social_accounts_project_status_idx', 'social_accounts', ['project_id', 'status', 'connected_at', 'id']],
  ['social_accounts_project_leased_idx', 'social_accounts', ['project_id', 'leased', 'connected_at', 'id']],
  ['scheduled_posts_project_status_idx', 'scheduled_posts', ['project_id', 'status', 'scheduled_for', 'id']],
  ['scheduled_posts_project_account_idx', 'scheduled_posts', ['project_id', 'social_account_id', 'scheduled_for', 'id']],
  ['scheduled_posts_project_container_idx', 'scheduled_posts', ['project_id', 'container_id', 'scheduled_for', 'id']],
  ['webhook_deliveries_endpoint_status_idx', 'webhook_deliveries', ['endpoint_id', 'status', 'created_at', 'id']],
  ['webhook_deliveries_endpoint_type_idx', 'webhook_deliveries', ['endpoint_id', 'event_type', 'created_at', 'id']],
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, table, columns] of INDEXES) await db.schema.createIndex(name).on(table).columns(columns).execute();
  // The delivery claim orders due deliveries by (next_attempt_at, event_id, id): with the whole
  // order in the index a claim walks to its first free rows instead of sorting every due delivery
  // (docs/performance.md, "Webhook deliveries").
  await db.schema.dropIndex('webhook_deliveries_due_idx').execute();
  await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').columns(['status', 'next_attempt_at', 'event_id', 'id']).execute();
}

