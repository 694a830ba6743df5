import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database, OAuthStatesTable } from '../db/schema.ts';
import type { OAuthErrorCode } from './schemas.ts';

/** A state stuck in `processing` longer than this belongs to a process that died mid-callback. */
export const ABANDONED_PROCESSING_MS = 60_000;
/** How a callback settles a state another callback abandoned (and what oauth-status says meanwhile). */
export const INTERRUPTED: { code: OAuthErrorCode; message: string } = {
  code: 'PLATFORM_ERROR',
  message: 'The connection was interrupted; start again.',
};

export interface SettledStatus {
  status: 'pending' | 'completed' | 'failed' | 'expired';
  error: { code: OAuthErrorCode; message: string } | null;
}

/**
 * What a state is, as the partner sees it (oauth-status). `processing` is internal: while a
 * callback runs it reads `pending`; once that callback has been gone longer than it could take,
 * the state reads as the next callback or housekeeping will settle it: `expired` past its expiry,
 * else `failed` (interrupted). A pending state past its expiry reads `expired`.
 */
export function settledStatus(state: OAuthStatesTable, now: Date): SettledStatus {
  const expired = state.expires_at <= now.toISOString();
  switch (state.status) {
    case 'completed':
      return { status: 'completed', error: null };
    case 'failed':
      return { status: 'failed', error: { code: (state.error_code ?? INTERRUPTED.code) as OAuthErrorCode, message: state.error_message ?? '' } };
    case 'processing':
      if (!isAbandoned(state, now)) return { status: 'pending', error: null };
      return expired ? { status: 'expired', error: null } : { status: 'failed', error: INTERRUPTED };
    case 'pending':
      return { status: expired ? 'expired' : 'pending', error: null };
  }
}

/** What a used or settled state keeps of its PKCE verifier: nothing (a pre-0015 vault entry is destroyed beside). */
export const NO_VERIFIER = { sealed_code_verifier: null, verifier_entry_id: null } as const;

function isAbandoned(state: OAuthStatesTable, now: Date): boolean {
  return now.getTime() - Date.parse(state.updated_at) > ABANDONED_PROCESSING_MS;
}

/**
 * Settles one state whose callback died mid-way, as oauth-status already reads it: within its
 * expiry it fails as interrupted; past it, it returns to `pending` without a verifier, which reads
 * `expired` and which a late callback fails as STATE_EXPIRED. The PKCE verifier is destroyed.
 * Compare-and-set on what was read: a callback that resumed the state meanwhile wins.
 */
export async function settleAbandonedState(db: Kysely<Database>, state: OAuthStatesTable, now: Date): Promise<boolean> {
  const outcome = settledStatus(state, now);
  if (state.status !== 'processing' || outcome.status === 'pending') return false;
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('oauth_states')
      .set({
        ...(outcome.status === 'expired'
          ? { status: 'pending' as const }
          : { status: 'failed' as const, error_code: INTERRUPTED.code, error_message: INTERRUPTED.message }),
        ...NO_VERIFIER,
        updated_at: now.toISOString(),
      })
      .where('id', '=', state.id)
      .where('status', '=', 'processing')
      .where('updated_at', '=', state.updated_at)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    if (state.verifier_entry_id) await trx.deleteFrom('vault_entries').where('id', '=', state.verifier_entry_id).execute();
    return true;
  });
}

/** Housekeeping: settles every state a crashed callback left in `processing` (settleAbandonedState). */
export async function settleAbandonedStates(db: Kysely<Database>, clock: Clock): Promise<number> {
  const now = clock.now();
  const abandoned = await db
    .selectFrom('oauth_states')
    .selectAll()
    // A literal, not a parameter: SQLite uses the index of states in `processing` (migration 0022)
    // only for a term it can match.
    .where('status', '=', sql.lit('processing'))
    .where('updated_at', '<', new Date(now.getTime() - ABANDONED_PROCESSING_MS).toISOString())
    .execute();
  let settled = 0;
  for (const state of abandoned) if (await settleAbandonedState(db, state, now)) settled += 1;
  return settled;
}
