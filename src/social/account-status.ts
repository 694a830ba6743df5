import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database, ReauthReason } from '../db/schema.ts';
import { withdrawFromMetrics } from '../metrics/registration.ts';
import { emitAccountEvent } from './account-events.ts';

/**
 * connected → reauth_required: the platform definitely rejected the credential and a refresh
 * cannot mend it. `onlyIfLease` makes the change conditional on the caller still holding the
 * refresh lease (a reauth that completed meanwhile wins). Returns whether the account changed.
 * It takes the caller's transaction: the `social_account.needs_reauth` event commits with the
 * change, or not at all, and so does whatever else the caller changes with it (held posts).
 */
export async function markReauthRequired(
  trx: Transaction<Database>,
  clock: Clock,
  accountId: string,
  change: { reason: ReauthReason; errorCode: string; errorMessage: string; onlyIfLease?: string },
): Promise<boolean> {
  const now = clock.now().toISOString();
  let update = trx
    .updateTable('social_accounts')
    .set({
      status: 'reauth_required',
      reauth_required_at: now,
      reauth_reason: change.reason,
      last_error_code: change.errorCode,
      last_error_message: change.errorMessage,
      last_error_at: now,
      next_refresh_at: null,
      refresh_lease_until: null,
      updated_at: now,
    })
    .where('id', '=', accountId)
    .where('status', '=', 'connected');
  if (change.onlyIfLease) update = update.where('refresh_lease_until', '=', change.onlyIfLease);
  const result = await update.executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await withdrawFromMetrics(trx, accountId);
  await emitAccountEvent(trx, clock, 'social_account.needs_reauth', accountId);
  return true;
}

/** A failure that leaves the status alone (transient, or not about the credential): count it, retry later. */
export async function recordRefreshFailure(
  db: Kysely<Database>,
  clock: Clock,
  accountId: string,
  failure: { errorCode: string; errorMessage: string; retryAt: string | null; onlyIfLease?: string },
): Promise<void> {
  const now = clock.now().toISOString();
  let update = db
    .updateTable('social_accounts')
    .set((eb) => ({
      consecutive_failures: eb('consecutive_failures', '+', 1),
      last_error_code: failure.errorCode,
      last_error_message: failure.errorMessage,
      last_error_at: now,
      ...(failure.retryAt ? { next_refresh_at: failure.retryAt } : {}),
      refresh_lease_until: null,
      updated_at: now,
    }))
    .where('id', '=', accountId);
  if (failure.onlyIfLease) update = update.where('refresh_lease_until', '=', failure.onlyIfLease);
  await update.execute();
}
