import type { Kysely } from 'kysely';
import type { Principal } from '../api-keys/authenticate.ts';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { conflict, validationFailed } from '../errors.ts';
import { holdUntil } from './holds.ts';
import { findPost, toPostView } from './posts.ts';
import type { ScheduledPostView } from './schemas.ts';

const SKEW_TOLERANCE_MS = 30_000;

/**
 * `POST /v1/scheduled-posts/:id/reschedule`: a `queued` post moves to a new time (else 409 with its
 * status). A held post stays held, its hold recomputed from the new time.
 */
export async function reschedulePost(
  db: Kysely<Database>,
  clock: Clock,
  principal: Principal,
  postId: string,
  scheduledFor: string,
): Promise<ScheduledPostView> {
  const now = clock.now();
  if (Date.parse(scheduledFor) < now.getTime() - SKEW_TOLERANCE_MS) {
    throw validationFailed([{ path: 'scheduledFor', code: 'too_small', message: 'scheduledFor must be in the future.' }]);
  }
  const post = await findPost(db, principal.organizationId, postId);
  const held = post.hold_since !== null;
  const result = await db
    .updateTable('scheduled_posts')
    .set({
      scheduled_for: scheduledFor,
      next_attempt_at: held ? null : scheduledFor,
      hold_until: held ? holdUntil(scheduledFor) : null,
      updated_at: now.toISOString(),
    })
    .where('id', '=', post.id)
    .where('status', '=', 'queued')
    // A post the publisher is working right now (leased) is about to leave `queued`.
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now.toISOString())]))
    .executeTakeFirst();
  const current = await findPost(db, principal.organizationId, postId);
  if (Number(result.numUpdatedRows) !== 1) {
    throw conflict(`Only a queued post can be rescheduled; this one is ${current.status === 'queued' ? 'being published' : current.status}.`, current.status === 'queued' ? 'publishing' : current.status);
  }
  return toPostView(current);
}
