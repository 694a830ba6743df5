import { setTimeout as sleep } from 'node:timers/promises';
import type { SocialAccountsTable } from '../db/schema.ts';
import { PlatformError } from '../platforms/errors.ts';
import type { TokenSet } from '../platforms/tokens.ts';
import type { Lease } from '../jobs/lease.ts';
import { markReauthRequired, recordRefreshFailure } from './account-status.ts';
import type { SocialDeps } from './deps.ts';

/** How long one process may hold an account's refresh; longer than a platform call can take. */
export const REFRESH_LEASE_MS = 30_000;
const WAIT_POLL_MS = 25;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_MAX_MS = 60 * 60 * 1000;

export type RefreshOutcome =
  | { result: 'refreshed' | 'refreshed_elsewhere' | 'not_due'; account: SocialAccountsTable }
  | { result: 'reauth_required' | 'failed'; account: SocialAccountsTable; error: Error };

export interface TokenRefresher {
  /** Refreshes the account's tokens if due (or `force`), at most once at a time across every process. */
  refresh(accountId: string, options?: { force?: boolean }): Promise<RefreshOutcome>;
  /** Refreshes an account the refresh queue already leased (src/social/refresh-queue.ts). */
  refreshLeased(accountId: string, lease: Lease): Promise<RefreshOutcome>;
}

/**
 * One refresh per account at a time, everywhere (docs/behaviour.md, "Token refresh"). Within a process, concurrent
 * callers share one promise; across processes, a lease on the account row decides the winner and
 * the others wait for it and reuse its result. The winner re-reads the row after taking the lease
 * and writes the rotated refresh token in the same transaction as the new access token, only if
 * it still holds the lease.
 */
export function createTokenRefresher(deps: SocialDeps): TokenRefresher {
  const inFlight = new Map<string, Promise<RefreshOutcome>>();
  return {
    refresh(accountId, options = {}) {
      const running = inFlight.get(accountId);
      if (running) return running.then((outcome) => (outcome.result === 'refreshed' ? { ...outcome, result: 'refreshed_elsewhere' } : outcome));
      const attempt = refreshOnce(deps, accountId, options.force ?? false).finally(() => inFlight.delete(accountId));
      inFlight.set(accountId, attempt);
      return attempt;
    },
    refreshLeased(accountId, lease) {
      const attempt = refreshUnderLease(deps, accountId, lease.until, false).finally(() => inFlight.delete(accountId));
      inFlight.set(accountId, attempt);
      return attempt;
    },
  };
}

async function refreshOnce(deps: SocialDeps, accountId: string, force: boolean): Promise<RefreshOutcome> {
  const { db, clock } = deps;
  const now = clock.now();
  const leaseUntil = new Date(now.getTime() + REFRESH_LEASE_MS).toISOString();
  const taken = await db
    .updateTable('social_accounts')
    .set({ refresh_lease_until: leaseUntil })
    .where('id', '=', accountId)
    .where('status', '=', 'connected')
    .where((eb) => eb.or([eb('refresh_lease_until', 'is', null), eb('refresh_lease_until', '<', now.toISOString())]))
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) === 0) return waitForOtherRefresh(deps, accountId);
  return refreshUnderLease(deps, accountId, leaseUntil, force);
}

async function refreshUnderLease(deps: SocialDeps, accountId: string, leaseUntil: string, force: boolean): Promise<RefreshOutcome> {
  const { db, clock } = deps;
  const now = clock.now();
  // Re-read under the lease: another process may have refreshed between our decision and the lease.
  const account = await readAccount(deps, accountId);
  if (!force && account.next_refresh_at && account.next_refresh_at > now.toISOString()) {
    await releaseLease(deps, accountId, leaseUntil);
    return { result: 'not_due', account };
  }
  const adapter = deps.platforms.adapter(account.platform, account.sandbox === 1);
  const tokens = account.vault_entry_id ? await deps.vault.get<TokenSet>(db, account.vault_entry_id) : null;
  if (!tokens) {
    await releaseLease(deps, accountId, leaseUntil);
    return { result: 'failed', account, error: new Error('The account has no stored credential.') };
  }

  let refreshed: TokenSet;
  try {
    refreshed = await adapter.refresh(tokens);
  } catch (error) {
    return handleRefreshError(deps, account, leaseUntil, error as Error);
  }
  const stored = await db.transaction().execute(async (trx) => {
    const at = clock.now().toISOString();
    const result = await trx
      .updateTable('social_accounts')
      .set({
        access_token_expires_at: refreshed.accessTokenExpiresAt,
        refresh_token_expires_at: refreshed.refreshTokenExpiresAt,
        granted_scopes: JSON.stringify(refreshed.grantedScopes.length ? refreshed.grantedScopes : tokens.grantedScopes),
        last_refreshed_at: at,
        next_refresh_at: adapter.nextRefreshAt(refreshed),
        consecutive_failures: 0,
        last_error_code: null,
        last_error_message: null,
        last_error_at: null,
        refresh_lease_until: null,
        updated_at: at,
      })
      .where('id', '=', accountId)
      .where('refresh_lease_until', '=', leaseUntil)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false; // a reauth or revoke replaced the grant meanwhile
    await deps.vault.put(trx, account.vault_entry_id as string, refreshed);
    return true;
  });
  return { result: stored ? 'refreshed' : 'refreshed_elsewhere', account: await readAccount(deps, accountId) };
}

async function handleRefreshError(
  deps: SocialDeps,
  account: SocialAccountsTable,
  leaseUntil: string,
  error: Error,
): Promise<RefreshOutcome> {
  const code = error instanceof PlatformError ? error.platformCode : 'refresh_failed';
  if (error instanceof PlatformError && error.kind === 'needs_reauth') {
    const reason = error.reauthReason ?? 'credential_invalid';
    await deps.db.transaction().execute((trx) =>
      markReauthRequired(trx, deps.clock, account.id, { reason, errorCode: code, errorMessage: error.message, onlyIfLease: leaseUntil }),
    );
    return { result: 'reauth_required', account: await readAccount(deps, account.id), error };
  }
  // Transient (5xx, 429, timeouts) or unclassified: never a reason to ask the person to reconnect.
  const delay = Math.min(BACKOFF_BASE_MS * 2 ** account.consecutive_failures, BACKOFF_MAX_MS);
  const retryAt = new Date(deps.clock.now().getTime() + delay * (0.8 + Math.random() * 0.4)).toISOString();
  await recordRefreshFailure(deps.db, deps.clock, account.id, { errorCode: code, errorMessage: error.message, retryAt, onlyIfLease: leaseUntil });
  return { result: 'failed', account: await readAccount(deps, account.id), error };
}

/** Another process holds the lease: wait for it to finish (or for the lease to lapse) and report its result. */
async function waitForOtherRefresh(deps: SocialDeps, accountId: string): Promise<RefreshOutcome> {
  const deadline = Date.now() + REFRESH_LEASE_MS;
  for (;;) {
    const account = await readAccount(deps, accountId);
    const lapsed = !account.refresh_lease_until || account.refresh_lease_until < deps.clock.now().toISOString();
    if (account.status !== 'connected') {
      return { result: 'reauth_required', account, error: new Error(account.last_error_message ?? `The account is ${account.status}.`) };
    }
    if (lapsed || Date.now() > deadline) {
      return account.consecutive_failures > 0
        ? { result: 'failed', account, error: new Error(account.last_error_message ?? 'The refresh failed.') }
        : { result: 'refreshed_elsewhere', account };
    }
    await sleep(WAIT_POLL_MS);
  }
}

async function releaseLease(deps: SocialDeps, accountId: string, leaseUntil: string): Promise<void> {
  await deps.db
    .updateTable('social_accounts')
    .set({ refresh_lease_until: null })
    .where('id', '=', accountId)
    .where('refresh_lease_until', '=', leaseUntil)
    .execute();
}

function readAccount(deps: SocialDeps, accountId: string): Promise<SocialAccountsTable> {
  return deps.db.selectFrom('social_accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
}
