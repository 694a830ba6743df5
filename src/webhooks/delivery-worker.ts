import { createSecretKey, type KeyObject } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Engine } from '../db/database.ts';
import type { Database, WebhookDeliveriesTable } from '../db/schema.ts';
import { claimDue, renewLease } from '../jobs/lease.ts';
import type { Queue } from '../jobs/runner.ts';
import { readsById } from '../db/reads-by-id.ts';
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

/** Longer than one attempt can take (10 s timeout), so a lease never lapses under a live sender. */
const LEASE_MS = 20_000;
/** Endpoints served at once per process; new work is claimed as soon as one is done. */
const CONCURRENCY = 16;
const RESPONSE_BODY_LIMIT = 1024;
/**
 * Deliveries one claim leases per endpoint. A claim of one row per slot fed chains of one delivery
 * when due deliveries alternate between endpoints, and the claim and the chain's reads then cost
 * more than the delivery; at 8 per slot they were still a third of a delivery's CPU
 * (docs/performance.md, "Webhook deliveries"). As many as one batch of successes, not an
 * endpoint's whole queue, so other processes still find work beside a long queue.
 */
const CLAIMED_PER_ENDPOINT = 32;

/**
 * Queued deliveries as a queue of the job mechanism (src/jobs/): each endpoint is a group, so its
 * deliveries leave in event order within a process (across processes order is best effort:
 * receivers should not rely on it). A delivery's outcome is written only while its lease is still
 * held, so no delivery is sent twice concurrently; a process killed mid-send leaves a lease that
 * lapses, and the delivery is retried: delivery is at least once, and receivers dedupe on
 * X-Layers-Event-Id.
 */
export function deliveryQueue(deps: DeliveryWorkerDeps, pollMs: number): Queue<WebhookDeliveriesTable> {
  const worker: Worker = { ...deps, successes: new SuccessBatch(deps) };
  return {
    name: 'webhook deliveries',
    concurrency: CONCURRENCY,
    claimWhenFree: CONCURRENCY / 2,
    pollMs,
    claim: async (limit, busyEndpoints) => {
      const endpoints = await endpointsDue(deps.db, deps.clock.now().toISOString(), limit, busyEndpoints);
      if (endpoints.length === 0) return [];
      // One transaction: on SQLite a statement on its own commits on its own, and the endpoints'
      // deliveries lie on the same pages (events reach every endpoint at once).
      return deps.db.transaction().execute(async (trx) => {
        const claimed: WebhookDeliveriesTable[] = [];
        for (const endpointId of endpoints) claimed.push(...(await claimOf({ ...deps, db: trx }, endpointId)));
        return claimed;
      });
    },
    groupOf: (delivery) => delivery.endpoint_id,
    work: (deliveries) => sendInOrder(worker, deliveries),
    settle: () => worker.successes.flush(),
  };
}

/**
 * Up to `slots` active endpoints outside `busyEndpoints` with a delivery due and free, the one whose
 * first such delivery comes first in due order first. Each endpoint's first delivery is one step
 * down its own part of the due index (endpoint, status, due time, event), past only the deliveries
 * other processes hold: the queues of paused endpoints and of endpoints this process is sending to
 * are never walked, however long (migration 0020). A claim costs a lookup per active endpoint.
 */
async function endpointsDue(db: Kysely<Database>, now: string, slots: number, busyEndpoints: readonly string[]): Promise<string[]> {
  const heads = db
    .selectFrom('webhook_endpoints as e')
    .select((eb) => [
      'e.id as endpoint_id',
      eb
        .selectFrom('webhook_deliveries as d')
        .select('d.id')
        .whereRef('d.endpoint_id', '=', 'e.id')
        .where('d.status', '=', 'pending')
        .where('d.next_attempt_at', '<=', now)
        .where((free) => free.or([free('d.locked_until', 'is', null), free('d.locked_until', '<', now)]))
        .orderBy('d.next_attempt_at')
        .orderBy('d.event_id')
        .orderBy('d.id')
        .limit(1)
        .as('head_id'),
    ])
    .where('e.status', '=', 'active')
    .where('e.deleted_at', 'is', null)
    .$if(busyEndpoints.length > 0, (query) => query.where('e.id', 'not in', busyEndpoints));
  const rows = await db
    .selectFrom(heads.as('h'))
    .innerJoin('webhook_deliveries as head', 'head.id', 'h.head_id')
    .select('h.endpoint_id')
    .orderBy('head.next_attempt_at')
    .orderBy('head.event_id')
    .orderBy('head.id')
    .limit(slots)
    .execute();
  return rows.map((row) => row.endpoint_id);
}

/** Leases one endpoint's first `CLAIMED_PER_ENDPOINT` due deliveries, in due order. */
function claimOf(deps: DeliveryWorkerDeps, endpointId: string): Promise<WebhookDeliveriesTable[]> {
  return claimDue(deps.db, deps.engine, deps.clock, {
    table: 'webhook_deliveries',
    due: (eb) =>
      eb.and([
        eb('endpoint_id', '=', endpointId),
        eb('status', '=', 'pending'),
        eb('next_attempt_at', '<=', deps.clock.now().toISOString()),
        // Checked again: the endpoint may have been paused since it was found due. A paused
        // endpoint keeps its queue; it flows again once the endpoint is active.
        eb.exists(
          eb
            .selectFrom('webhook_endpoints as e')
            .select('e.id')
            .whereRef('e.id', '=', 'webhook_deliveries.endpoint_id')
            .where('e.status', '=', 'active'),
        ),
      ]),
    orderBy: ['next_attempt_at', 'event_id'],
    limit: CLAIMED_PER_ENDPOINT,
    leaseMs: LEASE_MS,
  });
}

/**
 * One endpoint's claimed deliveries, one after another. A delivery that waited behind others
 * first renews its lease (compare-and-set), so it is never sent on a lease that may have lapsed.
 * Successes are recorded together with those of the other chains (`SuccessBatch`); any other
 * outcome is recorded before the next attempt, after every success so far, so a failure counts
 * against the endpoint (and may pause it) at once.
 */
async function sendInOrder(deps: Worker, deliveries: WebhookDeliveriesTable[]): Promise<void> {
  const claimedAt = deps.clock.now().getTime();
  const first = deliveries[0] as WebhookDeliveriesTable;
  // Read once per chain: the endpoint, its secrets and every payload the chain sends (whether the
  // endpoint may still receive is checked again before each attempt: stillSendable).
  const endpoint = await deps.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', first.endpoint_id).executeTakeFirst();
  const stored = endpoint && !endpoint.deleted_at ? await deps.vault.get<SigningSecrets>(deps.db, endpoint.secret_entry_id) : null;
  const secrets = stored ? stored.secrets.map(({ secret, expiresAt }) => ({ secret: createSecretKey(secret, 'utf8'), expiresAt })) : null;
  const events = await deps.db
    .selectFrom('webhook_events')
    .select(['id', 'payload'])
    .where('id', 'in', deliveries.map((d) => d.event_id))
    .execute();
  const payloads = new Map(events.map((event) => [event.id, event.payload]));
  for (const [index, claimed] of deliveries.entries()) {
    let delivery = claimed;
    if (index > 0 && deps.clock.now().getTime() - claimedAt > LEASE_MS / 2) {
      const renewed = await renewLease(deps.db, deps.clock, 'webhook_deliveries', claimed.id, { until: claimed.locked_until as string }, LEASE_MS);
      if (!renewed) continue;
      delivery = { ...claimed, locked_until: renewed.until };
    }
    const payload = payloads.get(delivery.event_id);
    if (!endpoint || !secrets || payload === undefined) {
      await record(deps, [{ delivery, at: deps.clock.now().toISOString(), outcome: { status: 'canceled', error: 'The endpoint no longer exists.', response: null, endpointFailed: null } }]);
      continue;
    }
    if (!(await stillSendable(deps, delivery))) {
      await releaseLease(deps, delivery);
      continue;
    }
    const attempted = await attempt(deps, delivery, endpoint.url, secrets, payload);
    if (attempted.outcome.status === 'succeeded') {
      await deps.successes.add(attempted);
    } else {
      await deps.successes.flush();
      await record(deps, [attempted]);
    }
  }
}

/** Successes are written once the oldest has waited this long, or once this many wait. */
const SUCCESS_BATCH_MS = 250;
const SUCCESS_BATCH_SIZE = 256;

/**
 * Successful attempts of every chain of the process, written in one transaction per
 * `SUCCESS_BATCH_SIZE` or per `SUCCESS_BATCH_MS` (and before any other outcome, and when a run of
 * the queue ends) instead of one each. Written together, the chains' outcomes share their pages:
 * events reach every endpoint, so the deliveries the chains send at the same time lie side by side
 * (docs/performance.md, "Webhook deliveries"). A process that dies before writing them sends them
 * again once their leases lapse: delivery stays at least once, as a death between sending and
 * writing always made it. A failed write is reported by the next `flush`.
 */
class SuccessBatch {
  #attempts: Attempted[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** The writes, one after another; never rejects (a failure is kept for `flush`). */
  #writing: Promise<void> = Promise.resolve();
  #failure: unknown = null;
  readonly #deps: DeliveryWorkerDeps;

  constructor(deps: DeliveryWorkerDeps) {
    this.#deps = deps;
  }

  /** Adds a success; the chain that fills the batch waits for its write, so writes that fall behind slow the chains down. */
  async add(attempted: Attempted): Promise<void> {
    this.#attempts.push(attempted);
    if (this.#attempts.length >= SUCCESS_BATCH_SIZE) return this.#write();
    if (this.#timer === null) this.#timer = setTimeout(() => void this.#write(), SUCCESS_BATCH_MS);
  }

  /** Writes every success added so far; rejects if that or an earlier write failed. */
  async flush(): Promise<void> {
    await this.#write();
    const failure = this.#failure;
    this.#failure = null;
    if (failure !== null) throw failure;
  }

  #write(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const attempts = this.#attempts;
    this.#attempts = [];
    this.#writing = this.#writing.then(async () => {
      if (attempts.length === 0) return;
      try {
        await record(this.#deps, attempts);
      } catch (error) {
        this.#failure ??= error;
      }
    });
    return this.#writing;
  }
}

/**
 * Read right before each attempt, not once per chain: the delivery still holds this lease and is
 * pending, and its endpoint is still active and not deleted. A DELETE (which cancels the queue and
 * clears leases) or a pause that committed before this read stops the chain here, so nothing is
 * sent to an endpoint after its DELETE answered. On Postgres the chains share the read
 * (`readsById`): each gets an answer read after it asked, so the guarantee holds, in one query per
 * batch.
 */
async function stillSendable(deps: Worker, delivery: WebhookDeliveriesTable): Promise<boolean> {
  const current = await sendableById.one(deps.db, delivery.id);
  return (
    current?.status === 'pending' &&
    current.locked_until === delivery.locked_until &&
    current.endpoint_status === 'active' &&
    current.endpoint_deleted_at === null
  );
}

// Every condition is compared on the row, none in the query, so both planners look the ids up and
// nothing else. Beside `id in (…)`, `d.status = 'pending'` led SQLite's planner to walk the due index
// over every pending delivery (2 ms a check with 16,000 pending), and `e.status = 'active'` led
// Postgres's to start from the active endpoints and gather each one's deliveries (3–7 ms a check
// with 12,000 pending over 16 endpoints; docs/performance.md, "Webhook deliveries").
const sendableById = readsById((db, ids) =>
  db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .select(['d.id', 'd.locked_until', 'd.status', 'e.status as endpoint_status', 'e.deleted_at as endpoint_deleted_at'])
    .where('d.id', 'in', ids),
);

/** Gives a delivery that will not be sent now back to the queue (a paused endpoint keeps its queue). */
async function releaseLease(deps: DeliveryWorkerDeps, delivery: WebhookDeliveriesTable): Promise<void> {
  await deps.db
    .updateTable('webhook_deliveries')
    .set({ locked_until: null })
    .where('id', '=', delivery.id)
    .where('locked_until', '=', delivery.locked_until)
    .execute();
}

/** An attempt made, with its outcome, not yet written. */
interface Attempted {
  delivery: WebhookDeliveriesTable;
  outcome: Outcome;
  /** When the attempt ended (ISO). */
  at: string;
}

/** An endpoint's signing secrets as KeyObjects, made once per chain. */
type SigningKeys = Array<{ secret: KeyObject; expiresAt: string | null }>;

async function attempt(deps: DeliveryWorkerDeps, delivery: WebhookDeliveriesTable, url: string, secrets: SigningKeys, payload: string): Promise<Attempted> {
  const now = deps.clock.now();
  const response = await deps.send({
    url,
    body: payload,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Layers-Webhooks/1.0',
      'x-layers-event-id': delivery.event_id,
      'x-layers-event-type': delivery.event_type,
      'x-layers-delivery-id': delivery.id,
      'x-layers-signature': signatureHeader(activeSecrets(secrets, now), Math.floor(now.getTime() / 1000), payload),
    },
  });
  const ended = deps.clock.now();
  return { delivery, outcome: outcomeOf(response, delivery, ended), at: ended.toISOString() };
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

/**
 * Writes attempts' outcomes in one transaction, each only while its lease still holds (one
 * statement for them all: a statement each cost a round trip each on Postgres). Then, in order, a
 * success resets its endpoint's failure count (once, before that endpoint's next failure or at the
 * end); a failure counts against it and pauses it at the threshold.
 */
async function record(deps: DeliveryWorkerDeps, attempts: Attempted[]): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    // On Postgres, the endpoints first (in id order), as a DELETE does before it cancels the
    // endpoint's deliveries: neither then holds deliveries the other waits for.
    if (deps.engine === 'postgres') {
      const endpointIds = [...new Set(attempts.map(({ delivery }) => delivery.endpoint_id))];
      await trx.selectFrom('webhook_endpoints').select('id').where('id', 'in', endpointIds).orderBy('id').forNoKeyUpdate().execute();
    }
    const written = await writeOutcomes(trx, deps.engine, attempts);
    const resetFailures = async (endpointIds: string[]) => {
      if (endpointIds.length === 0) return;
      await trx.updateTable('webhook_endpoints').set({ consecutive_failures: 0 }).where('id', 'in', endpointIds).where('consecutive_failures', '>', 0).execute();
    };
    const succeeded = new Set<string>();
    for (const { delivery, outcome, at } of attempts) {
      if (!written.has(delivery.id) || outcome.endpointFailed === null) continue;
      if (!outcome.endpointFailed) {
        succeeded.add(delivery.endpoint_id);
        continue;
      }
      if (succeeded.delete(delivery.endpoint_id)) await resetFailures([delivery.endpoint_id]);
      await trx
        .updateTable('webhook_endpoints')
        .set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', 1) }))
        .where('id', '=', delivery.endpoint_id)
        .execute();
      await trx
        .updateTable('webhook_endpoints')
        .set({ status: 'auto_paused', updated_at: at })
        .where('id', '=', delivery.endpoint_id)
        .where('status', '=', 'active')
        .where('consecutive_failures', '>=', AUTO_PAUSE_AFTER_FAILURES)
        .execute();
    }
    await resetFailures([...succeeded]);
  });
}

/**
 * The outcomes as one `UPDATE … FROM (VALUES …)`, each row only where the delivery still holds
 * the lease the attempt was made under; answers the ids written. Kysely has no VALUES list, so
 * this one statement is SQL; a VALUES list's columns are `column1`, `column2`… on both engines,
 * and the integer columns are cast, since Postgres reads an untyped parameter there as text.
 */
async function writeOutcomes(trx: Transaction<Database>, engine: Engine, attempts: Attempted[]): Promise<Set<string>> {
  const rows = attempts.map(({ delivery, outcome, at }) => {
    const attemptsMade = delivery.attempts + (outcome.status === 'canceled' ? 0 : 1);
    const nextAttemptAt = outcome.status === 'pending' ? (outcome.retryAt as Date).toISOString() : null;
    const lastAttemptAt = outcome.status === 'canceled' ? delivery.last_attempt_at : at;
    const responseBody = outcome.response ? outcome.response.body.slice(0, RESPONSE_BODY_LIMIT) : null;
    return sql`(${delivery.id}, ${delivery.locked_until}, ${outcome.status}, cast(${attemptsMade} as integer), ${nextAttemptAt}, ${lastAttemptAt}, cast(${outcome.response?.status ?? null} as integer), ${responseBody}, ${outcome.error}, ${at})`;
  });
  const { rows: written } = await sql<{ id: string }>`
    update webhook_deliveries set
      status = v.column3, attempts = v.column4, next_attempt_at = v.column5, last_attempt_at = v.column6,
      last_response_status = v.column7, last_response_body = v.column8, last_error = v.column9,
      locked_until = null, updated_at = v.column10
    from (values ${sql.join(rows)}) as v
    where webhook_deliveries.id = v.column1 and webhook_deliveries.locked_until = v.column2 ${engine === 'postgres' ? idList(attempts) : sql``}
    returning webhook_deliveries.id`.execute(trx);
  return new Set(written.map((row) => row.id));
}

/**
 * The ids once more, as a list, for Postgres. Its cost model prices a few hundred primary-key
 * lookups above a scan of a table of some thousands of rows, so it hashed the VALUES list and
 * scanned every delivery ever made, for each batch (5.8 ms at 20,000 rows, and growing with the
 * table); given the list, it looks the ids up (docs/performance.md, "Webhook deliveries"). SQLite
 * looks each row of the VALUES list up by id already, and given the list it would compare every
 * row with every other.
 */
function idList(attempts: Attempted[]) {
  return sql`and webhook_deliveries.id in (${sql.join(attempts.map(({ delivery }) => delivery.id))})`;
}

/** The deps, with the successes the worker's chains write together. */
interface Worker extends DeliveryWorkerDeps {
  successes: SuccessBatch;
}
