import { CredentialsUnavailableError, type Credentials } from './credentials.ts';
import type { SocialDeps } from './deps.ts';

const BATCH = 20;

/**
 * Keeps accounts connected: one pass refreshes up to a batch of connected accounts whose refresh
 * time has come, through getUsableCredentials (so under the per-account lease: safe in every
 * process at once). Returns how many were due. A failure is already recorded on the account.
 */
export async function refreshDueAccounts(deps: SocialDeps, credentials: Credentials): Promise<number> {
  const now = deps.clock.now().toISOString();
  const due = await deps.db
    .selectFrom('social_accounts')
    .select('id')
    .where('status', '=', 'connected')
    .where('next_refresh_at', '<=', now)
    .where((eb) => eb.or([eb('refresh_lease_until', 'is', null), eb('refresh_lease_until', '<', now)]))
    .orderBy('next_refresh_at')
    .limit(BATCH)
    .execute();
  for (const { id } of due) {
    await credentials.getUsableCredentials(id).catch((error: unknown) => {
      if (!(error instanceof CredentialsUnavailableError)) throw error;
    });
  }
  return due.length;
}
