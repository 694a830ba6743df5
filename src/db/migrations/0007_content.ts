import { sql, type Kysely } from 'kysely';

/**
 * Content containers (docs/reference/content.md) and the blob store under every media object:
 * `media` becomes the index of stored objects (avatars and content assets), its bytes moving out of
 * the database into the blob store. A migration cannot reach the store, so rows written before this
 * one keep their `data_base64` until the server moves them at start (src/media/media-store.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  // SQLite cannot drop NOT NULL in place: the table is rebuilt, the same way on both engines.
  await db.schema
    .createTable('media_objects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('byte_length', 'integer', (c) => c.notNull())
    .addColumn('storage_key', 'text')
    .addColumn('data_base64', 'text')
    .addColumn('checksum_sha256', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await sql`insert into media_objects (id, content_type, byte_length, storage_key, data_base64, checksum_sha256, created_at)
            select id, content_type, byte_length, null, data_base64, null, created_at from media`.execute(db);
  await db.schema.dropTable('media').execute();
  await db.schema.alterTable('media_objects').renameTo('media').execute();
  await db.schema.createIndex('media_legacy_idx').on('media').columns(['storage_key', 'id']).execute();

  await db.schema
    .createTable('content_containers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('caption', 'text', (c) => c.notNull())
    .addColumn('approval_status', 'text', (c) => c.notNull())
    .addColumn('review_note', 'text')
    .addColumn('reviewed_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // Newest-first lists, with and without a status filter, walk an index and stop after a page.
  await db.schema.createIndex('content_containers_project_created_idx').on('content_containers').columns(['project_id', 'created_at', 'id']).execute();
  await db.schema
    .createIndex('content_containers_project_status_created_idx')
    .on('content_containers')
    .columns(['project_id', 'status', 'created_at', 'id'])
    .execute();
  await db.schema.createIndex('content_containers_status_created_idx').on('content_containers').columns(['status', 'created_at']).execute();

  await db.schema
    .createTable('content_assets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('container_id', 'text', (c) => c.notNull().references('content_containers.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('media_id', 'text', (c) => c.notNull())
    .addColumn('mime_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('checksum_sha256', 'text', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('duration_ms', 'integer')
    .addColumn('frame_rate', 'real')
    .addColumn('video_codec', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('content_assets_container_idx').on('content_assets').columns(['container_id', 'position']).execute();

  await db.schema
    .createTable('content_upload_files')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('container_id', 'text', (c) => c.notNull().references('content_containers.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('staging_key', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text')
    .addColumn('swept_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('content_upload_files_container_idx').on('content_upload_files').columns(['container_id', 'position']).execute();
  await db.schema.createIndex('content_upload_files_sweep_idx').on('content_upload_files').columns(['swept_at', 'created_at']).execute();

  await db.schema
    .createTable('content_review_policies')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id'))
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('first_n', 'integer')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}
