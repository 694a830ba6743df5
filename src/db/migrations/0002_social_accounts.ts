import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Vault: data keys (AES-256, wrapped by a key derived from LAYERS_SECRET_KEY) and the entries
  // they encrypt. `master_key_id` names the master key that wrapped a data key, so the master can rotate.
  await db.schema
    .createTable('vault_data_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('master_key_id', 'text', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('vault_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('data_key_id', 'text', (c) => c.notNull().references('vault_data_keys.id'))
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('media')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('data_base64', 'text', (c) => c.notNull())
    .addColumn('byte_length', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('social_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('sandbox', 'integer', (c) => c.notNull())
    .addColumn('platform_user_id', 'text', (c) => c.notNull())
    .addColumn('handle', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('avatar_media_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('leased', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('granted_scopes', 'text', (c) => c.notNull())
    .addColumn('vault_entry_id', 'text')
    .addColumn('connected_at', 'text', (c) => c.notNull())
    .addColumn('access_token_expires_at', 'text')
    .addColumn('refresh_token_expires_at', 'text')
    .addColumn('last_refreshed_at', 'text')
    .addColumn('next_refresh_at', 'text')
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error_code', 'text')
    .addColumn('last_error_message', 'text')
    .addColumn('last_error_at', 'text')
    .addColumn('reauth_required_at', 'text')
    .addColumn('reauth_reason', 'text')
    .addColumn('disconnected_at', 'text')
    .addColumn('disconnected_reason', 'text')
    .addColumn('refresh_lease_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('social_accounts_project_connected_idx')
    .on('social_accounts')
    .columns(['project_id', 'connected_at', 'id'])
    .execute();
  await db.schema
    .createIndex('social_accounts_platform_user_idx')
    .on('social_accounts')
    .columns(['project_id', 'platform', 'platform_user_id'])
    .execute();
  await db.schema
    .createIndex('social_accounts_refresh_due_idx')
    .on('social_accounts')
    .columns(['status', 'next_refresh_at'])
    .execute();

  await db.schema
    .createTable('oauth_states')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_key_id', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('sandbox', 'integer', (c) => c.notNull())
    .addColumn('social_account_id', 'text')
    .addColumn('return_url', 'text', (c) => c.notNull())
    .addColumn('requested_scopes', 'text', (c) => c.notNull())
    .addColumn('usage_note', 'text')
    .addColumn('verifier_entry_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth_states_created_idx').on('oauth_states').column('created_at').execute();
}
