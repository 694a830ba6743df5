import type { Engine } from '../db/database.ts';
import type { SocialAccountsTable } from '../db/schema.ts';
import { claimDue, leaseOf } from '../jobs/lease.ts';
import type { Queue } from '../jobs/runner.ts';
import type { SocialDeps } from './deps.ts';
import { REFRESH_LEASE_MS, type TokenRefresher } from './token-refresh.ts';

/** Accounts refreshed at once per process. */
const CONCURRENCY = 4;

/**
 * Keeps accounts connected: connected accounts whose refresh time has come, as a queue of the job
 * mechanism (docs/design/jobs.md). The claim takes the same per-account lease an on-demand refresh
 * (getUsableCredentials) takes, so each account is refreshed once, wherever the need came from; a
 * failure is recorded on the account with its retry time.
 */
export function tokenRefreshQueue(deps: SocialDeps & { engine: Engine; refresher: TokenRefresher }, pollMs: number): Queue<SocialAccountsTable> {
  return {
    name: 'token refresh',
    concurrency: CONCURRENCY,
    pollMs,
    claim: (limit) =>
      claimDue(deps.db, deps.engine, deps.clock, {
        table: 'social_accounts',
        due: (eb) => eb.and([eb('status', '=', 'connected'), eb('next_refresh_at', '<=', deps.clock.now().toISOString())]),
        orderBy: ['next_refresh_at'],
        limit,
        leaseMs: REFRESH_LEASE_MS,
      }),
    groupOf: (account) => account.id,
    async work(accounts) {
      for (const account of accounts) await deps.refresher.refreshLeased(account.id, leaseOf('social_accounts', account));
    },
  };
}
