/**
 * Compile-time checks, run by `tsc --noEmit` inside `npm test` (this file is never executed): the
 * outbox rule (docs/design/outbox.md) is in the types. Emitting an event, writing the vault and
 * turning an account `reauth_required` take a Transaction, so each `@ts-expect-error` below must stay
 * an error: if one of these calls ever compiles with a plain database handle, tsc fails the suite.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../../src/clock.ts';
import type { Database } from '../../src/db/schema.ts';
import { markReauthRequired } from '../../src/social/account-status.ts';
import type { Vault } from '../../src/vault/vault.ts';
import { emitEvent } from '../../src/webhooks/events.ts';

export async function outsideATransaction(db: Kysely<Database>, clock: Clock, vault: Vault): Promise<void> {
  const event = { organizationId: 'org', projectId: null, type: 'test.ping' as const, data: {} };
  // @ts-expect-error an event is written in the transaction of its change
  await emitEvent(db, clock, event);
  // @ts-expect-error a credential is written with the row that points at it
  await vault.put(db, 've_x', { accessToken: 'x' });
  // @ts-expect-error a credential is destroyed with the row that pointed at it
  await vault.destroy(db, 've_x');
  // @ts-expect-error the status change and its needs_reauth event commit together
  await markReauthRequired(db, clock, 'sa_x', { reason: 'token_revoked', errorCode: 'x', errorMessage: 'x' });
}

export async function insideATransaction(db: Kysely<Database>, clock: Clock, vault: Vault): Promise<void> {
  await db.transaction().execute(async (trx: Transaction<Database>) => {
    await emitEvent(trx, clock, { organizationId: 'org', projectId: null, type: 'test.ping', data: {} });
    await vault.put(trx, 've_x', { accessToken: 'x' });
    await vault.destroy(trx, 've_x');
    await markReauthRequired(trx, clock, 'sa_x', { reason: 'token_revoked', errorCode: 'x', errorMessage: 'x' });
  });
}
