import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { PLATFORMS, platformModule, type PlatformId } from '../platforms/registry.ts';

/**
 * Which accounts the metrics sync reads (docs/reference/metrics.md, "Syncing"): one `metric_accounts`
 * row per account of a platform that reports metrics, its place in the sync's queue. A row is added
 * when a grant binds the account, and stays through reauths and disconnection; the sync skips an
 * account that is not `connected`.
 */
export const MEASURED_PLATFORMS: readonly PlatformId[] = PLATFORMS.filter((id) => platformModule(id).metrics !== undefined);

/**
 * A grant has just bound the account (a connect, a reconnect or a reauth): in the grant's own
 * transaction, so an account is never connected without its place in the queue. Due at once; an
 * account already registered keeps its due time, which a reauth after a long wait has long passed.
 */
export async function registerForMetrics(trx: Transaction<Database>, clock: Clock, account: { id: string; platform: PlatformId }): Promise<void> {
  if (!MEASURED_PLATFORMS.includes(account.platform)) return;
  await trx
    .insertInto('metric_accounts')
    .values({ id: account.id, next_sync_at: clock.now().toISOString() })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/**
 * Registers every connected account not registered yet: those connected before grants registered
 * them (an upgraded database) or written by other means. One statement over every connected account
 * (52–70 ms on SQLite with 100,000 of them), so each process runs it once, not once per run
 * (docs/performance.md, "Fourteenth round").
 */
export async function registerConnectedAccounts(db: Kysely<Database>, clock: Clock): Promise<void> {
  if (MEASURED_PLATFORMS.length === 0) return;
  const now = clock.now().toISOString();
  await db
    .insertInto('metric_accounts')
    .columns(['id', 'next_sync_at'])
    .expression((eb) =>
      eb
        .selectFrom('social_accounts')
        .select((inner) => ['social_accounts.id', inner.val(now).as('next_sync_at')])
        .where('social_accounts.status', '=', 'connected')
        .where('social_accounts.platform', 'in', MEASURED_PLATFORMS)
        .where((inner) => inner.not(inner.exists(inner.selectFrom('metric_accounts').select('metric_accounts.id').whereRef('metric_accounts.id', '=', 'social_accounts.id')))),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}
