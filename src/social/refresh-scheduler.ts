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
  let running: Promise<void> | null = null;
  const tick = async () => {
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
  };
  const timer = setInterval(() => {
    // A slow tick is not stacked on: the next one starts only after it.
    if (running) return;
    running = tick()
      .catch(options.onError)
      .finally(() => {
        running = null;
      });
  }, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
