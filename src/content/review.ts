import type { Kysely, Transaction } from 'kysely';
import type { ApprovalStatus, Database, ReviewPolicy } from '../db/schema.ts';
import { ApiError, conflict } from '../errors.ts';
import { findContainer, viewContainer, type ContainerView } from './containers.ts';
import { dropPendingSchedules, promotePendingSchedules, type SchedulePromotion } from '../posts/schedule.ts';
import type { ContentDeps } from './deps.ts';
import { findPostableContainer } from './postable.ts';

export interface ReviewPolicyView {
  policy: ReviewPolicy;
  firstN: number | null;
}

const DEFAULT_POLICY: ReviewPolicyView = { policy: 'auto_approve', firstN: null };

export async function getReviewPolicy(db: Kysely<Database> | Transaction<Database>, projectId: string): Promise<ReviewPolicyView> {
  const row = await db.selectFrom('content_review_policies').selectAll().where('project_id', '=', projectId).executeTakeFirst();
  return row ? { policy: row.policy, firstN: row.first_n } : DEFAULT_POLICY;
}

export async function setReviewPolicy(deps: Pick<ContentDeps, 'db' | 'clock'>, projectId: string, input: { policy: ReviewPolicy; firstN?: number | undefined }): Promise<ReviewPolicyView> {
  if (input.policy === 'review_first_n' && input.firstN === undefined) {
    throw new ApiError(422, 'VALIDATION', 'The request failed validation.', { issues: [{ path: 'firstN', code: 'required', message: 'firstN (1–50) is required with review_first_n.' }] });
  }
  if (input.policy !== 'review_first_n' && input.firstN !== undefined) {
    throw new ApiError(422, 'VALIDATION', 'The request failed validation.', { issues: [{ path: 'firstN', code: 'not_allowed', message: 'firstN goes only with review_first_n.' }] });
  }
  const row = { project_id: projectId, policy: input.policy, first_n: input.firstN ?? null, updated_at: deps.clock.now().toISOString() };
  await deps.db
    .insertInto('content_review_policies')
    .values(row)
    .onConflict((oc) => oc.column('project_id').doUpdateSet({ policy: row.policy, first_n: row.first_n, updated_at: row.updated_at }))
    .execute();
  return { policy: row.policy, firstN: row.first_n };
}

/**
 * A new container's approval status under its project's policy: `review_first_n` asks review for
 * the project's first N containers (every container ever created there counts, canceled ones too).
 */
export async function initialApprovalStatus(trx: Transaction<Database>, projectId: string): Promise<ApprovalStatus> {
  const policy = await getReviewPolicy(trx, projectId);
  if (policy.policy === 'auto_approve') return 'not_required';
  if (policy.policy === 'review_all') return 'pending';
  const { count } = await trx
    .selectFrom('content_containers')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return Number(count) < (policy.firstN ?? 0) ? 'pending' : 'not_required';
}

/** Approves a completed, pending container; schedule requests kept behind the gate are released in the same transaction. */
export async function approveContainer(
  deps: ContentDeps,
  organizationId: string,
  id: string,
  note: string | null,
): Promise<ContainerView & { pendingSchedulePromotion: SchedulePromotion }> {
  const { row, promotion } = await deps.db.transaction().execute(async (trx) => {
    await review(trx, deps, organizationId, id, 'approved', note);
    const promotion = await promotePendingSchedules(trx, deps.clock, await findPostableContainer(trx, organizationId, id));
    return { row: await findContainer(trx, organizationId, id), promotion };
  });
  return { ...(await viewContainer(deps, deps.db, row)), pendingSchedulePromotion: promotion };
}

export async function rejectContainer(deps: ContentDeps, organizationId: string, id: string, reason: string): Promise<ContainerView> {
  const row = await deps.db.transaction().execute(async (trx) => {
    await review(trx, deps, organizationId, id, 'rejected', reason);
    await dropPendingSchedules(trx, id);
    return findContainer(trx, organizationId, id);
  });
  return viewContainer(deps, deps.db, row);
}

async function review(trx: Transaction<Database>, deps: ContentDeps, organizationId: string, id: string, outcome: 'approved' | 'rejected', note: string | null): Promise<void> {
  const current = await findContainer(trx, organizationId, id);
  if (current.approval_status !== 'pending') {
    throw conflict(`Only a container pending review can be ${outcome}; this one is ${current.approval_status}.`, current.approval_status);
  }
  if (current.status !== 'completed') throw conflict(`Only a completed container can be reviewed; this one is ${current.status}.`, current.status);
  const now = deps.clock.now().toISOString();
  const updated = await trx
    .updateTable('content_containers')
    .set({ approval_status: outcome, review_note: note, reviewed_at: now, updated_at: now })
    .where('id', '=', current.id)
    .where('approval_status', '=', 'pending')
    .where('status', '=', 'completed')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) throw conflict('The container was reviewed or changed meanwhile.', 'changed');
}
