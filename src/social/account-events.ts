import type { Transaction } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { emitEvent } from '../webhooks/events.ts';

type AccountEventType = 'social_account.connected' | 'social_account.needs_reauth' | 'social_account.revoked';

/**
 * Emits a social-account event from inside the transaction that changed the account, reading
 * the account as that transaction sees it, so the event always matches the committed state.
 */
export async function emitAccountEvent(
  trx: Transaction<Database>,
  clock: Clock,
  type: AccountEventType,
  socialAccountId: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const account = await trx.selectFrom('social_accounts').selectAll().where('id', '=', socialAccountId).executeTakeFirstOrThrow();
  await emitEvent(trx, clock, {
    organizationId: account.organization_id,
    projectId: account.project_id,
    type,
    data: {
      projectId: account.project_id,
      socialAccountId: account.id,
      platform: account.platform,
      handle: account.handle,
      status: account.status,
      connectedAt: account.connected_at,
      reauthRequiredAt: account.reauth_required_at,
      reauthReason: account.reauth_reason,
      disconnectedAt: account.disconnected_at,
      disconnectedReason: account.disconnected_reason,
      ...extra,
    },
  });
}
