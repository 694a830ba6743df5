import type { Kysely } from 'kysely';

/**
 * Reconnect links (docs/reference/reconnect-links.md): a link that lives for days and mints an
 * OAuth state when the person clicks it. Only a keyed hash of the link's token is stored. Each
 * state a click mints names its link, so the callback that completes it can mark the link used.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('reconnect_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('api_key_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('social_account_id', 'text')
    .addColumn('return_url', 'text', (c) => c.notNull())
    .addColumn('requested_scopes', 'text')
    .addColumn('usage_note', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('clicks', 'integer', (c) => c.notNull())
    .addColumn('last_state', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('oauth_states').addColumn('reconnect_link_id', 'text').execute();
}
