import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // One row per target of a schedule or publish request (docs/reference/scheduled-posts.md). The
  // row is also the publisher's work item: `next_attempt_at` says when it is due, `locked_until`
  // is its lease (docs/design/jobs.md), `publish_state` the platform steps reached so far.
  await db.schema
    .createTable('scheduled_posts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('container_id', 'text', (c) => c.notNull())
    .addColumn('social_account_id', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('scheduled_for', 'text', (c) => c.notNull())
    .addColumn('caption', 'text', (c) => c.notNull())
    .addColumn('first_comment', 'text')
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('external_url', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('attempted_at', 'text')
    .addColumn('published_at', 'text')
    .addColumn('canceled_at', 'text')
    .addColumn('cancel_reason', 'text')
    .addColumn('hold_since', 'text')
    .addColumn('hold_until', 'text')
    .addColumn('last_error_code', 'text')
    .addColumn('last_error_message', 'text')
    .addColumn('last_error_platform_code', 'text')
    .addColumn('last_error_at', 'text')
    .addColumn('publish_state', 'text')
    .addColumn('locked_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // The publisher's claim: due, unheld posts in order.
  await db.schema.createIndex('scheduled_posts_due_idx').on('scheduled_posts').columns(['status', 'next_attempt_at']).execute();
  // Listing: a project's posts, newest scheduledFor first, keyset on (scheduled_for, id).
  await db.schema.createIndex('scheduled_posts_project_idx').on('scheduled_posts').columns(['project_id', 'scheduled_for', 'id']).execute();
  // An account's queued posts (holds, releases, revoke) and a container's (delete, approval).
  await db.schema.createIndex('scheduled_posts_account_idx').on('scheduled_posts').columns(['social_account_id', 'status', 'scheduled_for']).execute();
  await db.schema.createIndex('scheduled_posts_container_idx').on('scheduled_posts').columns(['container_id', 'status']).execute();
  // Holds that run out.
  await db.schema.createIndex('scheduled_posts_hold_idx').on('scheduled_posts').columns(['hold_until']).execute();

  // A schedule request waiting for its container's approval (the 202 of the approval gate).
  await db.schema
    .createTable('pending_schedules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('container_id', 'text', (c) => c.notNull())
    .addColumn('scheduled_for', 'text', (c) => c.notNull())
    .addColumn('targets', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pending_schedules_container_idx').on('pending_schedules').columns(['container_id', 'created_at']).execute();
}
