import type { Kysely, Transaction } from 'kysely';
import type { Principal } from '../api-keys/authenticate.ts';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { conflict } from '../errors.ts';
import { emitPostEvent, findPost, toPostView } from './posts.ts';
import type { ScheduledPostView } from './schemas.ts';

/**
 * `DELETE /v1/scheduled-posts/:id`: a queued post is canceled; one being published only while the
 * platform has received nothing of it (no platform step recorded yet), else 409; a final post 409.
 * The publisher writes every step with `status = 'publishing'` as a condition, so a post canceled
 * here never gets another platform call.
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
  const canceled = await db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('scheduled_posts')
      .set({ status: 'canceled', canceled_at: now, cancel_reason: reason ?? 'canceled_by_partner', next_attempt_at: null, hold_since: null, hold_until: null, updated_at: now })
      .where('id', '=', post.id)
      .where((eb) => eb.or([eb('status', '=', 'queued'), eb.and([eb('status', '=', 'publishing'), eb('publish_state', 'is', null)])]))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    await emitPostEvent(trx, clock, 'post.canceled', post.id);
    return true;
  });
  const current = await findPost(db, principal.organizationId, postId);
  if (!canceled) {
    const message =
      current.status === 'publishing'
        ? 'The post is being published and the platform already has its media; it can no longer be canceled.'
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
  let select = trx.selectFrom('scheduled_posts').select('id').where('status', '=', 'queued');
  select = 'socialAccountId' in scope ? select.where('social_account_id', '=', scope.socialAccountId) : select.where('project_id', '=', scope.projectId);
  const queued = await select.execute();
  for (const { id } of queued) {
    await trx
      .updateTable('scheduled_posts')
      .set({ status: 'canceled', canceled_at: now, cancel_reason: reason, next_attempt_at: null, hold_since: null, hold_until: null, updated_at: now })
      .where('id', '=', id)
      .execute();
    await emitPostEvent(trx, clock, 'post.canceled', id);
  }
  return queued.length;
}
