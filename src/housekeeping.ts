import type { Kysely } from 'kysely';
import type { Clock } from './clock.ts';
import type { Database } from './db/schema.ts';
import { settleAbandonedStates } from './social/state-settlement.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** OAuth states stay readable through oauth-status well past the contract's 24 hours. */
const OAUTH_STATE_RETENTION_MS = 7 * DAY_MS;
/** Reconnect links stay readable (status, clicks, lastState) this long after they stopped working. */
const RECONNECT_LINK_RETENTION_MS = 30 * DAY_MS;
/** Settled webhook deliveries and their events stay listable and replayable for 30 days. */
const WEBHOOK_RETENTION_MS = 30 * DAY_MS;

/** Audit rows are kept this many days unless AUDIT_RETENTION_DAYS says otherwise (docs/security.md). */
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;

export interface PurgeResult {
  idempotencyRecords: number;
  oauthStates: number;
  /** States a crashed callback left in `processing`, now settled (their verifiers destroyed). */
  abandonedStates: number;
  webhookDeliveries: number;
  auditRows: number;
  reconnectLinks: number;
}

/**
 * Deletes what has outlived its purpose. Idempotent and safe from several processes at once;
 * each statement is bounded by its own age condition, never by what another process read.
 */
export async function purgeExpired(
  db: Kysely<Database>,
  clock: Clock,
  options: { auditRetentionDays: number } = { auditRetentionDays: DEFAULT_AUDIT_RETENTION_DAYS },
): Promise<PurgeResult> {
  const now = clock.now().getTime();
  const abandonedStates = await settleAbandonedStates(db, clock);
  const idempotency = await db.deleteFrom('idempotency_records').where('expires_at', '<', new Date(now).toISOString()).executeTakeFirst();

  const stateCutoff = new Date(now - OAUTH_STATE_RETENTION_MS).toISOString();
  const states = await db.transaction().execute(async (trx) => {
    // The PKCE verifier of an unused state goes with its row; a state minted before migration 0015
    // holds it in a vault entry of its own instead.
    const verifiers = await trx
      .selectFrom('oauth_states')
      .select('verifier_entry_id')
      .where('created_at', '<', stateCutoff)
      .where('verifier_entry_id', 'is not', null)
      .execute();
    const ids = verifiers.map((v) => v.verifier_entry_id as string);
    if (ids.length > 0) await trx.deleteFrom('vault_entries').where('id', 'in', ids).execute();
    return trx.deleteFrom('oauth_states').where('created_at', '<', stateCutoff).executeTakeFirst();
  });

  // Every link stops at its expiry at the latest (used and revoked ones earlier).
  const links = await db
    .deleteFrom('reconnect_links')
    .where('expires_at', '<', new Date(now - RECONNECT_LINK_RETENTION_MS).toISOString())
    .executeTakeFirst();

  const webhookCutoff = new Date(now - WEBHOOK_RETENTION_MS).toISOString();
  const deliveries = await db
    .deleteFrom('webhook_deliveries')
    .where('created_at', '<', webhookCutoff)
    .where('status', '!=', 'pending')
    .executeTakeFirst();
  await db
    .deleteFrom('webhook_events')
    .where('created_at', '<', webhookCutoff)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('webhook_deliveries').select('id').whereRef('webhook_deliveries.event_id', '=', 'webhook_events.id'))),
    )
    .execute();

  const auditCutoff = new Date(now - options.auditRetentionDays * DAY_MS).toISOString();
  const audit = await db.deleteFrom('audit_log').where('at', '<', auditCutoff).executeTakeFirst();

  return {
    idempotencyRecords: Number(idempotency.numDeletedRows),
    oauthStates: Number(states.numDeletedRows),
    abandonedStates,
    webhookDeliveries: Number(deliveries.numDeletedRows),
    auditRows: Number(audit.numDeletedRows),
    reconnectLinks: Number(links.numDeletedRows),
  };
}
