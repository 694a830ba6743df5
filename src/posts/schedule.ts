import type { Kysely, Transaction } from 'kysely';
import type { Principal } from '../api-keys/authenticate.ts';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { ApiError, conflict, validationFailed } from '../errors.ts';
import { newId } from '../ids.ts';
import type { FindPostableContainer, PostableContainer } from './containers.ts';
import { emitPostEvent, toPostView } from './posts.ts';
import type { ScheduledPostView, TargetInput } from './schemas.ts';
import { resolveTargets, type ResolvedTarget } from './targets.ts';

/** A `scheduledFor` this far in the past is still accepted (clock skew between partner and server). */
const SKEW_TOLERANCE_MS = 30_000;

export interface PostsDeps {
  db: Kysely<Database>;
  clock: Clock;
  findContainer: FindPostableContainer;
}

export interface CreatedPosts {
  containerId: string;
  scheduledPostIds: string[];
  items: ScheduledPostView[];
}

export type ScheduleOutcome =
  | { status: 201; body: CreatedPosts }
  | { status: 202; body: { containerId: string; gateStatus: 'blocked_on_approval'; scheduledPostIds: [] } };

/** Publish-now is a schedule due at once; a container waiting for approval is refused, never kept. */
export async function publishNow(deps: PostsDeps, principal: Principal, containerId: string, targets: TargetInput[]): Promise<CreatedPosts> {
  const outcome = await schedule(deps, principal, containerId, { scheduledFor: null, targets });
  if (outcome.status !== 201) throw new Error('publish-now never keeps a request for approval');
  return outcome.body;
}

/**
 * `POST /v1/content/:containerId/schedule` and `/publish` (docs/reference/scheduled-posts.md): one
 * post per target, all or nothing. A container waiting for approval keeps a schedule request until
 * it is approved (202) and refuses a publish-now (403 APPROVAL_REQUIRED).
 */
export async function schedule(
  deps: PostsDeps,
  principal: Principal,
  containerId: string,
  request: { scheduledFor: string | null; targets: TargetInput[] },
): Promise<ScheduleOutcome> {
  const now = deps.clock.now();
  const container = await deps.findContainer(deps.db, principal.organizationId, containerId);
  if (request.scheduledFor !== null && Date.parse(request.scheduledFor) < now.getTime() - SKEW_TOLERANCE_MS) {
    throw validationFailed([{ path: 'scheduledFor', code: 'too_small', message: 'scheduledFor must be in the future.' }]);
  }
  assertSchedulable(container);
  const targets = await resolveTargets(deps.db, container, request.targets);
  if (container.approvalStatus === 'pending') {
    if (request.scheduledFor === null) {
      throw new ApiError(403, 'APPROVAL_REQUIRED', 'The container is waiting for approval; approve it before publishing it.', {
        containerId: container.id,
        approvalStatus: container.approvalStatus,
      });
    }
    await deps.db
      .insertInto('pending_schedules')
      .values({
        id: newId('ps'),
        organization_id: container.organizationId,
        project_id: container.projectId,
        container_id: container.id,
        scheduled_for: request.scheduledFor,
        targets: JSON.stringify(request.targets),
        created_at: now.toISOString(),
      })
      .execute();
    return { status: 202, body: { containerId: container.id, gateStatus: 'blocked_on_approval', scheduledPostIds: [] } };
  }
  const scheduledFor = request.scheduledFor ?? now.toISOString();
  const ids = await deps.db.transaction().execute((trx) => createPosts(trx, deps.clock, container, targets, scheduledFor));
  const rows = await deps.db.selectFrom('scheduled_posts').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((row) => [row.id, row]));
  return {
    status: 201,
    body: { containerId: container.id, scheduledPostIds: ids, items: ids.map((id) => toPostView(byId.get(id) as (typeof rows)[number])) },
  };
}

function assertSchedulable(container: PostableContainer): void {
  if (container.approvalStatus === 'rejected') {
    throw new ApiError(409, 'CONTENT_REJECTED', 'The container was rejected in review; it cannot be published.', { currentStatus: 'rejected' });
  }
  if (container.status !== 'completed') {
    throw conflict(`Only a completed container can be scheduled; this one is ${container.status}.`, container.status);
  }
}

/** Writes the posts and their `post.scheduled` events in the caller's transaction; returns their ids in target order. */
async function createPosts(trx: Transaction<Database>, clock: Clock, container: PostableContainer, targets: ResolvedTarget[], scheduledFor: string): Promise<string[]> {
  const now = clock.now().toISOString();
  const rows = targets.map((target) => ({
    id: newId('sp'),
    organization_id: container.organizationId,
    project_id: container.projectId,
    container_id: container.id,
    social_account_id: target.account.id,
    platform: target.account.platform,
    mode: target.mode,
    status: 'queued' as const,
    scheduled_for: scheduledFor,
    caption: target.caption,
    first_comment: target.firstComment,
    settings: JSON.stringify(target.settings),
    external_id: null,
    external_url: null,
    attempts: 0,
    next_attempt_at: scheduledFor,
    attempted_at: null,
    published_at: null,
    canceled_at: null,
    cancel_reason: null,
    hold_since: null,
    hold_until: null,
    last_error_code: null,
    last_error_message: null,
    last_error_platform_code: null,
    last_error_at: null,
    publish_state: null,
    publish_warning: null,
    locked_until: null,
    behind_publishing: 0,
    created_at: now,
    updated_at: now,
  }));
  await trx.insertInto('scheduled_posts').values(rows).execute();
  for (const row of rows) await emitPostEvent(trx, clock, 'post.scheduled', row.id);
  return rows.map((row) => row.id);
}

export interface SchedulePromotion {
  status: 'ok' | 'failed' | 'none';
  scheduledPostIds: string[];
  error?: { code: string; message: string };
}

/**
 * Approving a container creates the posts its kept schedule requests asked for, checked again now
 * (an account may have been disconnected meanwhile). Runs in the approval's transaction.
 */
export async function promotePendingSchedules(trx: Transaction<Database>, clock: Clock, container: PostableContainer): Promise<SchedulePromotion> {
  const pending = await trx.selectFrom('pending_schedules').selectAll().where('container_id', '=', container.id).orderBy('created_at').execute();
  if (pending.length === 0) return { status: 'none', scheduledPostIds: [] };
  await trx.deleteFrom('pending_schedules').where('container_id', '=', container.id).execute();
  const approved = { ...container, approvalStatus: 'approved' as const };
  const scheduledPostIds: string[] = [];
  for (const request of pending) {
    try {
      assertSchedulable(approved);
      const targets = await resolveTargets(trx, approved, JSON.parse(request.targets) as TargetInput[]);
      scheduledPostIds.push(...(await createPosts(trx, clock, approved, targets, request.scheduled_for)));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return { status: 'failed', scheduledPostIds, error: { code: error.code, message: error.message } };
    }
  }
  return { status: 'ok', scheduledPostIds };
}

/** Rejecting a container drops the schedule requests it kept. */
export async function dropPendingSchedules(trx: Transaction<Database>, containerId: string): Promise<void> {
  await trx.deleteFrom('pending_schedules').where('container_id', '=', containerId).execute();
}
