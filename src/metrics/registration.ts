import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { PLATFORMS, platformModule, type PlatformId } from '../platforms/registry.ts';

/**
 * Which accounts the metrics sync reads (docs/reference/metrics.md, "Syncing"): one `metric_accounts`
 * row per account of a platform that reports metrics, its place in the sync's queue. A row is added
 * when a grant binds the account and stays for good; while the account is not `connected` it is
 * not due (NOT_DUE), so the sync's claims never walk past accounts that wait for a reauth or were
 * disconnected: they would sit first in the due order, since every connected account has been
 * synced after them (docs/performance.md, "Fourteenth round").
 */
export const MEASURED_PLATFORMS: readonly PlatformId[] = PLATFORMS.filter((id) => platformModule(id).metrics !== undefined);

/** The due time of an account that is not `connected`: after every real due time (ISO 8601 text compares in time order). */
export const NOT_DUE = '9999-12-31T23:59:59.999Z';

/**
 * A grant has just bound the account (a connect, a reconnect or a reauth): in the grant's own
 * transaction, so an account is never connected without its place in the queue. A new or
 * withdrawn account is due at once; one already due keeps its due time (a connect of an account
 * the project already has is not a reason to read it twice in an interval).
 */
export async function registerForMetrics(trx: Transaction<Database>, clock: Clock, account: { id: string; platform: PlatformId }): Promise<void> {
  if (!MEASURED_PLATFORMS.includes(account.platform)) return;
  const now = clock.now().toISOString();
  await trx
    .insertInto('metric_accounts')
    .values({ id: account.id, next_sync_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ next_sync_at: now }).where('metric_accounts.next_sync_at', '=', NOT_DUE))
    .execute();
}

/**
 * The account stopped being `connected` (it needs a reauth, or it was disconnected): in that
 * change's own transaction, which holds the account's row as a grant's does, so a grant and a
 * withdrawal of one account take turns and the later one decides.
 */
export async function withdrawFromMetrics(trx: Transaction<Database>, accountId: string): Promise<void> {
  await trx.updateTable('metric_accounts').set({ next_sync_at: NOT_DUE }).where('id', '=', accountId).execute();
}

/**
 * Registers every connected account not registered yet: those connected before grants registered
 * them (an upgraded database) or written by other means. One statement over every connected account
 * (on SQLite with 100,000 of them: 52–70 ms when all are registered, 230–380 ms when none is), so
 * each process runs it once, not once per run (docs/performance.md, "Fourteenth round").
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
