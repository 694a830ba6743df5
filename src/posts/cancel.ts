import { PostgresAdapter, type Kysely, type Transaction } from 'kysely';
import type { Principal } from '../api-keys/authenticate.ts';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { conflict } from '../errors.ts';
import { hasPlatformProgress, type PublishState } from '../platforms/publishing.ts';
import { emitPostEvent, emitPostEvents, findPost, toPostView } from './posts.ts';
import type { ScheduledPostView } from './schemas.ts';

/**
 * `DELETE /v1/scheduled-posts/:id`: a queued or publishing post is canceled while the platform has
 * nothing of it (no id given, no irreversible call out), else 409; a final post 409. The publisher
 * writes every step with the post still open as a condition, so a canceled post gets no further call.
 */
export async function cancelPost(
  db: Kysely<Database>,
  clock: Clock,
  principal: Principal,
  postId: string,
  reason: string | undefined,
): Promise<ScheduledPostView> {
  const post = await findPost(db, principal.organizationId, postId);
  const now = clock.now().toISOString();
  const open = post.status === 'queued' || post.status === 'publishing';
  const untouched = !hasPlatformProgress(post.publish_state === null ? null : (JSON.parse(post.publish_state) as PublishState));
  const canceled =
    open &&
    untouched &&
    (await db.transaction().execute(async (trx) => {
      // Compare-and-set on what was read: a publisher that moved the post on meanwhile wins.
      const result = await trx
        .updateTable('scheduled_posts')
        .set({ status: 'canceled', canceled_at: now, cancel_reason: reason ?? 'canceled_by_partner', next_attempt_at: null, hold_since: null, hold_until: null, updated_at: now })
        .where('id', '=', post.id)
        .where('status', '=', post.status)
        .where('updated_at', '=', post.updated_at)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await emitPostEvent(trx, clock, 'post.canceled', post.id);
      return true;
    }));
  const current = await findPost(db, principal.organizationId, postId);
  if (!canceled) {
    const message =
      current.status === 'queued' || current.status === 'publishing'
        ? 'The platform already has this post’s media; it can no longer be canceled.'
        : `A ${current.status} post cannot be canceled.`;
    throw conflict(message, current.status);
  }
  return toPostView(current);
}

/**
 * Revoking an account or archiving a project cancels its queued posts (held ones too) in the
 * caller's transaction, one `post.canceled` each; returns how many.
 */
export async function cancelQueuedPosts(
  trx: Transaction<Database>,
  clock: Clock,
  scope: { socialAccountId: string } | { projectId: string },
  reason: 'revoked_by_partner' | 'project_archived',
): Promise<number> {
  const now = clock.now().toISOString();
  if ('projectId' in scope && trx.getExecutor().adapter instanceof PostgresAdapter) {
    // Accounts before their posts, in one order, as the publishing triggers lock them (migration
    // 0019); a revoke has already written its account's row.
    await trx
      .selectFrom('social_accounts')
      .select('id')
      .where('id', 'in', trx.selectFrom('scheduled_posts').select('social_account_id').where('project_id', '=', scope.projectId).where('status', '=', 'queued'))
      .orderBy('id')
      .forNoKeyUpdate()
      .execute();
  }
  // One statement for them all, and their events together: one by one, 5,000 queued posts took
  // 1.1 s on SQLite (the event loop held throughout) and 6.0 s on Postgres (docs/performance.md,
  // "Sixteenth round").
  const canceled = await trx
    .updateTable('scheduled_posts')
    .set({ status: 'canceled', canceled_at: now, cancel_reason: reason, next_attempt_at: null, hold_since: null, hold_until: null, updated_at: now })
    .where('status', '=', 'queued')
    .where((eb) => ('socialAccountId' in scope ? eb('social_account_id', '=', scope.socialAccountId) : eb('project_id', '=', scope.projectId)))
    .returningAll()
    .execute();
  canceled.sort((a, b) => (a.scheduled_for === b.scheduled_for ? (a.id < b.id ? -1 : 1) : a.scheduled_for < b.scheduled_for ? -1 : 1));
  await emitPostEvents(trx, clock, 'post.canceled', canceled);
  return canceled.length;
}
