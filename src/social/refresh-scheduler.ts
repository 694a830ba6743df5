import { startPolling } from '../polling.ts';
import type { SocialDeps } from './deps.ts';
import type { TokenRefresher } from './token-refresh.ts';

const BATCH = 20;

/**
 * Keeps accounts connected: every `intervalMs`, refreshes the connected accounts whose
 * next refresh time has come. Safe to run in every server process (the refresher's lease
 * makes each account's refresh happen once).
 */
export function startRefreshScheduler(
  deps: SocialDeps,
  refresher: TokenRefresher,
  options: { intervalMs: number; onError(error: unknown): void },
): { stop(): Promise<void> } {
  return startPolling(options.intervalMs, () => refreshDueAccounts(deps, refresher), options.onError);
}

/** One pass: refreshes up to a batch of connected accounts whose refresh is due; returns how many. */
export async function refreshDueAccounts(deps: SocialDeps, refresher: TokenRefresher): Promise<number> {
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
  for (const { id } of due) await refresher.refresh(id);
  return due.length;
}
