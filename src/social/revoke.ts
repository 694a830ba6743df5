import type { Principal } from '../api-keys/authenticate.ts';
import { conflict } from '../errors.ts';
import type { TokenSet } from '../platforms/tokens.ts';
import { withdrawFromMetrics } from '../metrics/registration.ts';
import { cancelQueuedPosts } from '../posts/cancel.ts';
import { emitAccountEvent } from './account-events.ts';
import { findAccount } from './accounts.ts';
import type { SocialDeps } from './deps.ts';

export interface RevokedAccount {
  socialAccountId: string;
  status: 'disconnected';
  disconnectedReason: string;
  canceledScheduledPosts: number;
  disconnectedAt: string;
}

/**
 * Revoke (docs/reference/social-accounts.md). One transaction destroys the credential, disconnects
 * the account and cancels its queued posts (held ones too), so nothing can publish through it afterwards (docs/behaviour.md); the platform grant is revoked after
 * the commit, best effort, with the tokens read beforehand.
 */
export async function revokeAccount(deps: SocialDeps, principal: Principal, socialAccountId: string, log: { warn(obj: object, msg: string): void }): Promise<RevokedAccount> {
  const account = await findAccount(deps.db, principal.organizationId, socialAccountId, { live: true });
  if (account.leased === 1) throw conflict('A leased account cannot be revoked by the partner.', 'leased');
  const tokens = account.vault_entry_id ? await deps.vault.get<TokenSet>(deps.db, account.vault_entry_id) : null;
  const now = deps.clock.now().toISOString();
  const canceled = await deps.db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('social_accounts')
      .set({
        status: 'disconnected',
        disconnected_at: now,
        disconnected_reason: 'revoked_by_partner',
        vault_entry_id: null,
        next_refresh_at: null,
        refresh_lease_until: null,
        updated_at: now,
      })
      .where('id', '=', account.id)
      .where('status', '!=', 'disconnected')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return null;
    if (account.vault_entry_id) await deps.vault.destroy(trx, account.vault_entry_id);
    await withdrawFromMetrics(trx, account.id);
    const canceledScheduledPosts = await cancelQueuedPosts(trx, deps.clock, { socialAccountId: account.id }, 'revoked_by_partner');
    await emitAccountEvent(trx, deps.clock, 'social_account.revoked', account.id, { canceledScheduledPosts });
    return canceledScheduledPosts;
  });
  // A concurrent revoke got there first: to this caller the account is already gone.
  if (canceled === null) await findAccount(deps.db, principal.organizationId, socialAccountId, { live: true });

  if (tokens) {
    const adapter = deps.platforms.adapter(account.platform, account.sandbox === 1);
    await adapter.revoke(tokens).catch((error: unknown) => log.warn({ err: error, socialAccountId: account.id }, 'upstream revoke failed'));
  }
  return {
    socialAccountId: account.id,
    status: 'disconnected',
    disconnectedReason: 'revoked_by_partner',
    canceledScheduledPosts: canceled ?? 0,
    disconnectedAt: now,
  };
}
