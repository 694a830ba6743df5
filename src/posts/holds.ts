import { setImmediate } from 'node:timers/promises';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database, ScheduledPostsTable } from '../db/schema.ts';
import { emitPostEvent } from './posts.ts';

/** A held post waits this long after its scheduled time for its account's reauth (docs/reference/scheduled-posts.md). */
export const HOLD_MS = 24 * 60 * 60 * 1000;
const EXPIRE_BATCH = 200;
const NOT_RECONNECTED = 'The account was not reconnected within 24 hours of the scheduled time.';

export function holdUntil(scheduledFor: string): string {
  return new Date(Date.parse(scheduledFor) + HOLD_MS).toISOString();
}

/**
 * A post whose account needs its person back is held, not failed: it stays `queued` with a hold until
 * `scheduledFor` + 24 h, and `post.held` says so once. Its platform steps so far are kept, so a
 * release resumes where it stopped. A hold that would already have run out fails the post instead.
 * `lease`: the publisher's, when it holds a post it was working.
 */
export async function holdPost(trx: Transaction<Database>, clock: Clock, post: ScheduledPostsTable, message: string, lease: string | null): Promise<void> {
  const now = clock.now().toISOString();
  const until = holdUntil(post.scheduled_for);
  if (until <= now) {
    await failPost(trx, clock, post.id, { code: 'CREDENTIAL_INVALID', message: `${message} ${NOT_RECONNECTED}`, platformCode: null }, lease);
    return;
  }
  let update = trx
    .updateTable('scheduled_posts')
    .set({
      status: 'queued',
      hold_since: post.hold_since ?? now,
      hold_until: until,
      next_attempt_at: null,
      locked_until: null,
      last_error_code: 'CREDENTIAL_INVALID',
      last_error_message: message,
      last_error_platform_code: null,
      last_error_at: now,
      updated_at: now,
    })
    .where('id', '=', post.id)
    .where('status', 'in', ['queued', 'publishing']);
  if (lease !== null) update = update.where('locked_until', '=', lease);
  const held = await update.executeTakeFirst();
  if (Number(held.numUpdatedRows) === 1 && post.hold_since === null) await emitPostEvent(trx, clock, 'post.held', post.id);
}

/**
 * The reauth that brought the account back releases its held posts, in the callback's transaction
 * (src/social/callback.ts): each is due at once (or at its scheduled time, if that is still ahead),
 * and the publisher takes an account's posts one at a time in `scheduledFor` order.
 */
export async function releaseHolds(trx: Transaction<Database>, clock: Clock, socialAccountId: string): Promise<number> {
  const now = clock.now().toISOString();
  // One statement however many posts waited: one by one, 5,000 took 540 ms on SQLite, the event loop
  // held throughout, and 2.3 s on Postgres (docs/performance.md, "Seventeenth round").
  const released = await trx
    .updateTable('scheduled_posts')
    .set((eb) => ({
      hold_since: null,
      hold_until: null,
      next_attempt_at: eb.case().when('scheduled_for', '>', now).then(eb.ref('scheduled_for')).else(now).end(),
      last_error_code: null,
      last_error_message: null,
      last_error_platform_code: null,
      last_error_at: null,
      updated_at: now,
    }))
    .where('social_account_id', '=', socialAccountId)
    .where('status', '=', 'queued')
    .where('hold_since', 'is not', null)
    .executeTakeFirst();
  return Number(released.numUpdatedRows);
}

/**
 * A periodic task: holds that reached their end fail with CREDENTIAL_INVALID and `post.failed`, a
 * batch at a time until none is left, so a post fails within a run of its `until` however many
 * expire together. Each post in a transaction of its own; the event loop turns between batches.
 */
export async function expireHolds(db: Kysely<Database>, clock: Clock): Promise<number> {
  const failure: PostFailure = { code: 'CREDENTIAL_INVALID', message: NOT_RECONNECTED, platformCode: null };
  let failed = 0;
  for (;;) {
    const now = clock.now().toISOString();
    const expired = await db
      .selectFrom('scheduled_posts')
      .select('id')
      .where('hold_until', '<=', now)
      .where('status', '=', 'queued')
      .orderBy('hold_until')
      .limit(EXPIRE_BATCH)
      .execute();
    let failedNow = 0;
    for (const post of expired) {
      if (await db.transaction().execute((trx) => failPost(trx, clock, post.id, failure, null, { onlyIfHeld: true }))) failedNow++;
    }
    failed += failedNow;
    // A batch none of whose posts could be failed would come back as it was.
    if (expired.length < EXPIRE_BATCH || failedNow === 0) return failed;
    await setImmediate();
  }
}

export interface PostFailure {
  code: NonNullable<ScheduledPostsTable['last_error_code']>;
  message: string;
  platformCode: string | null;
}

/** An open post turns `failed` with its reason, and `post.failed` says so. */
export async function failPost(
  trx: Transaction<Database>,
  clock: Clock,
  postId: string,
  failure: PostFailure,
  lease: string | null,
  options: { onlyIfHeld?: boolean } = {},
): Promise<boolean> {
  const now = clock.now().toISOString();
  let update = trx
    .updateTable('scheduled_posts')
    .set({
      status: 'failed',
      next_attempt_at: null,
      hold_since: null,
      hold_until: null,
      locked_until: null,
      last_error_code: failure.code,
      last_error_message: failure.message,
      last_error_platform_code: failure.platformCode,
      last_error_at: now,
      updated_at: now,
    })
    .where('id', '=', postId)
    .where('status', 'in', ['queued', 'publishing']);
  if (lease !== null) update = update.where('locked_until', '=', lease);
  if (options.onlyIfHeld) update = update.where('hold_until', '<=', now);
  const result = await update.executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await emitPostEvent(trx, clock, 'post.failed', postId);
  return true;
}
