import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Engine } from '../db/database.ts';
import type { Database, WebhookDeliveriesTable } from '../db/schema.ts';
import { startPolling } from '../polling.ts';
import type { Vault } from '../vault/vault.ts';
import type { WebhookResponse, WebhookSender } from './http-sender.ts';
import { AUTO_PAUSE_AFTER_FAILURES, isRetryableStatus, nextAttemptAt } from './retry-schedule.ts';
import { signatureHeader } from './signature.ts';
import { activeSecrets, type SigningSecrets } from './signing-secrets.ts';

export interface DeliveryWorkerDeps {
  db: Kysely<Database>;
  engine: Engine;
  clock: Clock;
  vault: Vault;
  send: WebhookSender;
}

export interface DeliveryWorker {
  /** Sends every delivery due now, several at a time; returns how many attempts were made. */
  runOnce(): Promise<number>;
  /** Polls in the background until stopped. */
  start(options: { intervalMs: number; onError(error: unknown): void }): { stop(): Promise<void> };
}

/** Longer than one attempt can take (10 s timeout), so a lease never lapses under a live sender. */
const LEASE_MS = 20_000;
/** Attempts in flight per process; a new one is claimed as soon as one ends. */
const CONCURRENCY = 16;
const RESPONSE_BODY_LIMIT = 1024;

/**
 * Sends queued deliveries. Any number of server processes may run one: a delivery is claimed
 * with a short lease (Postgres: FOR UPDATE SKIP LOCKED, so workers never wait on each other),
 * and its outcome is written only while the lease is still held, so no delivery is sent twice
 * concurrently. A process killed mid-send leaves a lease that lapses, and the delivery is retried:
 * delivery is at least once, and receivers dedupe on X-Layers-Event-Id.
 */
export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const worker: DeliveryWorker = {
    async runOnce() {
      // A pool, not batches: one slow endpoint holds one slot, never the whole queue.
      const inFlight = new Set<Promise<void>>();
      let attempts = 0;
      let failure: unknown = null;
      for (;;) {
        const room = CONCURRENCY - inFlight.size;
        const claimed = room > 0 && failure === null ? await claimDue(deps, room) : [];
        for (const delivery of claimed) {
          const running: Promise<void> = attempt(deps, delivery)
            .catch((error: unknown) => {
              failure ??= error;
            })
            .finally(() => inFlight.delete(running));
          inFlight.add(running);
        }
        attempts += claimed.length;
        if (inFlight.size === 0) break;
        if (claimed.length === 0 || inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
      }
      if (failure !== null) throw failure;
      return attempts;
    },
    start(options) {
      return startPolling(options.intervalMs, () => worker.runOnce(), options.onError);
    },
  };
  return worker;
}

async function claimDue(deps: DeliveryWorkerDeps, limit: number): Promise<WebhookDeliveriesTable[]> {
  const now = deps.clock.now().toISOString();
  const leaseUntil = new Date(deps.clock.now().getTime() + LEASE_MS).toISOString();
  let due = deps.db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .select('d.id')
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('d.locked_until', 'is', null), eb('d.locked_until', '<', now)]))
    // A paused endpoint keeps its queue; it flows again once the endpoint is active.
    .where('e.status', '=', 'active')
    .orderBy('d.next_attempt_at')
    .limit(limit);
  if (deps.engine === 'postgres') due = due.forUpdate(['d']).skipLocked();
  return deps.db
    .updateTable('webhook_deliveries')
    .set({ locked_until: leaseUntil })
    .where('id', 'in', due)
    // Re-checked on the locked row: a worker that lost the race claims nothing.
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
    .returningAll()
    .execute();
}

async function attempt(deps: DeliveryWorkerDeps, delivery: WebhookDeliveriesTable): Promise<void> {
  const event = await deps.db.selectFrom('webhook_events').select('payload').where('id', '=', delivery.event_id).executeTakeFirst();
  const endpoint = await deps.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', delivery.endpoint_id).executeTakeFirst();
  const secrets = endpoint && !endpoint.deleted_at ? await deps.vault.get<SigningSecrets>(deps.db, endpoint.secret_entry_id) : null;
  if (!event || !endpoint || !secrets) {
    await finish(deps, delivery, { status: 'canceled', error: 'The endpoint no longer exists.', response: null, endpointFailed: null });
    return;
  }
  const now = deps.clock.now();
  const response = await deps.send({
    url: endpoint.url,
    body: event.payload,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Layers-Webhooks/1.0',
      'x-layers-event-id': delivery.event_id,
      'x-layers-event-type': delivery.event_type,
      'x-layers-delivery-id': delivery.id,
      'x-layers-signature': signatureHeader(activeSecrets(secrets, now), Math.floor(now.getTime() / 1000), event.payload),
    },
  });
  await finish(deps, delivery, outcomeOf(response, delivery, deps.clock.now()));
}

interface Outcome {
  status: WebhookDeliveriesTable['status'];
  error: string | null;
  response: { status: number; body: string } | null;
  /** true: count a failure against the endpoint; false: reset its count; null: leave it. */
  endpointFailed: boolean | null;
  retryAt?: Date | null;
}

function outcomeOf(response: WebhookResponse, delivery: WebhookDeliveriesTable, now: Date): Outcome {
  const attemptsMade = delivery.attempts + 1;
  if (response.kind === 'response' && response.status >= 200 && response.status < 300) {
    return { status: 'succeeded', error: null, response, endpointFailed: false };
  }
  const error =
    response.kind === 'response'
      ? `The endpoint answered ${response.status}.`
      : response.kind === 'timeout'
        ? 'The endpoint did not answer in time.'
        : response.kind === 'blocked'
          ? `Refused: ${response.message}.`
          : `Network error: ${response.message}.`;
  const retryable = response.kind === 'response' ? isRetryableStatus(response.status) : response.kind !== 'blocked';
  if (!retryable) return { status: 'failed', error, response: response.kind === 'response' ? response : null, endpointFailed: true };
  const retryAt = nextAttemptAt(now, attemptsMade);
  return {
    status: retryAt ? 'pending' : 'abandoned',
    error,
    response: response.kind === 'response' ? response : null,
    endpointFailed: true,
    retryAt,
  };
}

async function finish(deps: DeliveryWorkerDeps, delivery: WebhookDeliveriesTable, outcome: Outcome): Promise<void> {
  const now = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('webhook_deliveries')
      .set({
        status: outcome.status,
        attempts: delivery.attempts + (outcome.status === 'canceled' ? 0 : 1),
        next_attempt_at: outcome.status === 'pending' ? (outcome.retryAt as Date).toISOString() : null,
        last_attempt_at: outcome.status === 'canceled' ? delivery.last_attempt_at : now,
        last_response_status: outcome.response?.status ?? null,
        last_response_body: outcome.response ? outcome.response.body.slice(0, RESPONSE_BODY_LIMIT) : null,
        last_error: outcome.error,
        locked_until: null,
        updated_at: now,
      })
      .where('id', '=', delivery.id)
      .where('locked_until', '=', delivery.locked_until)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1 || outcome.endpointFailed === null) return;
    if (!outcome.endpointFailed) {
      await trx
        .updateTable('webhook_endpoints')
        .set({ consecutive_failures: 0 })
        .where('id', '=', delivery.endpoint_id)
        .where('consecutive_failures', '>', 0)
        .execute();
      return;
    }
    await trx
      .updateTable('webhook_endpoints')
      .set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', 1) }))
      .where('id', '=', delivery.endpoint_id)
      .execute();
    await trx
      .updateTable('webhook_endpoints')
      .set({ status: 'auto_paused', updated_at: now })
      .where('id', '=', delivery.endpoint_id)
      .where('status', '=', 'active')
      .where('consecutive_failures', '>=', AUTO_PAUSE_AFTER_FAILURES)
      .execute();
  });
}
