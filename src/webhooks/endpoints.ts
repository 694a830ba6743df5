import { setImmediate } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Principal } from '../api-keys/authenticate.ts';
import type { Clock } from '../clock.ts';
import { ROWS_PER_BULK_STATEMENT } from '../db/bulk-batches.ts';
import type { Engine } from '../db/database.ts';
import type { Database, WebhookEndpointsTable, WebhookEndpointStatus } from '../db/schema.ts';
import { notFound } from '../errors.ts';
import { after, toPage, type Cursor } from '../http/pagination.ts';
import { newId } from '../ids.ts';
import { getProject } from '../projects/projects.ts';
import { newVaultEntryId, type Vault } from '../vault/vault.ts';
import type { EventType } from './catalog.ts';
import { assertEndpointUrlAllowed } from './endpoint-url.ts';
import { newSigningSecret, rotate, type SigningSecrets } from './signing-secrets.ts';

export interface WebhookDeps {
  db: Kysely<Database>;
  engine: Engine;
  clock: Clock;
  vault: Vault;
  production: boolean;
}

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  projectId: string | null;
  status: WebhookEndpointStatus;
  consecutiveFailures: number;
  createdAt: string;
  updatedAt: string;
}

export interface NewEndpoint {
  url: string;
  events: EventType[];
  description?: string | undefined;
  projectId?: string | undefined;
}

export async function createEndpoint(
  deps: WebhookDeps,
  principal: Principal,
  input: NewEndpoint,
): Promise<{ endpoint: WebhookEndpointView; signingSecret: string }> {
  if (input.projectId) await getProject(deps.db, principal.organizationId, input.projectId);
  assertEndpointUrlAllowed(input.url, deps.production);
  const now = deps.clock.now().toISOString();
  const signingSecret = newSigningSecret();
  const row: WebhookEndpointsTable = {
    id: newId('we'),
    organization_id: principal.organizationId,
    project_id: input.projectId ?? null,
    url: input.url,
    description: input.description ?? null,
    events: JSON.stringify([...new Set(input.events)]),
    status: 'active',
    secret_entry_id: newVaultEntryId(),
    consecutive_failures: 0,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  };
  await deps.db.transaction().execute(async (trx) => {
    const secrets: SigningSecrets = { secrets: [{ secret: signingSecret, expiresAt: null }] };
    await deps.vault.put(trx, row.secret_entry_id, secrets);
    await trx.insertInto('webhook_endpoints').values(row).execute();
  });
  return { endpoint: toEndpointView(row), signingSecret };
}

export async function findEndpoint(db: Kysely<Database>, organizationId: string, id: string): Promise<WebhookEndpointsTable> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('id', '=', id)
    .where('organization_id', '=', organizationId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw notFound(`Webhook endpoint ${id}`);
  return row;
}

export async function listEndpoints(
  db: Kysely<Database>,
  organizationId: string,
  query: { projectId?: string | undefined; status?: WebhookEndpointStatus | undefined; limit: number; cursor?: Cursor | undefined },
): Promise<{ items: WebhookEndpointView[]; nextCursor: string | null }> {
  let select = db.selectFrom('webhook_endpoints').selectAll().where('organization_id', '=', organizationId).where('deleted_at', 'is', null);
  if (query.projectId) select = select.where('project_id', '=', query.projectId);
  if (query.status) select = select.where('status', '=', query.status);
  if (query.cursor) select = select.where(after<Database, 'webhook_endpoints'>(query.cursor, 'created_at'));
  const rows = await select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute();
  return toPage(rows, query.limit, (row) => ({ at: row.created_at, id: row.id }), toEndpointView);
}

export async function updateEndpoint(
  deps: WebhookDeps,
  principal: Principal,
  id: string,
  patch: { url?: string | undefined; events?: EventType[] | undefined; description?: string | null | undefined; status?: 'active' | 'paused' | undefined },
): Promise<WebhookEndpointView> {
  const current = await findEndpoint(deps.db, principal.organizationId, id);
  if (patch.url !== undefined) assertEndpointUrlAllowed(patch.url, deps.production);
  const changes: Partial<WebhookEndpointsTable> = { updated_at: deps.clock.now().toISOString() };
  if (patch.url !== undefined) changes.url = patch.url;
  if (patch.events !== undefined) changes.events = JSON.stringify([...new Set(patch.events)]);
  if (patch.description !== undefined) changes.description = patch.description;
  if (patch.status !== undefined) {
    changes.status = patch.status;
    // Resuming an auto-paused endpoint starts its failure count afresh.
    if (patch.status === 'active') changes.consecutive_failures = 0;
  }
  await deps.db.updateTable('webhook_endpoints').set(changes).where('id', '=', current.id).execute();
  return toEndpointView(await findEndpoint(deps.db, principal.organizationId, id));
}

/**
 * Deletes the endpoint (it answers 404 from now on) and cancels what was still queued for it
 * before answering. Nothing is sent to a deleted endpoint (the worker checks before each attempt),
 * so the queue is canceled after the endpoint is deleted, a batch at a time (`cancelQueue`).
 */
export async function deleteEndpoint(deps: WebhookDeps, principal: Principal, id: string): Promise<{ id: string; deleted: true }> {
  const current = await findEndpoint(deps.db, principal.organizationId, id);
  const now = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('webhook_endpoints').set({ deleted_at: now, updated_at: now }).where('id', '=', current.id).execute();
    await deps.vault.destroy(trx, current.secret_entry_id);
  });
  await cancelQueue(deps, current.id, now);
  return { id: current.id, deleted: true };
}

/**
 * Cancels a deleted endpoint's queue, a batch a transaction, the event loop turning between
 * batches: a paused endpoint may have kept 100,000 deliveries, which one statement canceled in
 * 585 ms on SQLite with every other request waiting (docs/performance.md, "Sixteenth round"). On
 * Postgres each batch first locks the endpoint, as the worker does before it writes outcomes, so
 * neither holds deliveries the other waits for. Answers the deliveries canceled.
 */
async function cancelQueue(deps: Pick<WebhookDeps, 'db' | 'engine'>, endpointId: string, now: string): Promise<number> {
  const batchRows = ROWS_PER_BULK_STATEMENT[deps.engine];
  let canceled = 0;
  for (;;) {
    const batch = await deps.db.transaction().execute(async (trx) => {
      if (deps.engine === 'postgres') await trx.selectFrom('webhook_endpoints').select('id').where('id', '=', endpointId).forNoKeyUpdate().execute();
      const result = await trx
        .updateTable('webhook_deliveries')
        // Clearing the lease voids an attempt in flight: its result is not recorded over `canceled`.
        .set({ status: 'canceled', next_attempt_at: null, locked_until: null, updated_at: now })
        .where('status', '=', 'pending')
        .where('id', 'in', (eb) =>
          eb.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', endpointId).where('status', '=', 'pending').limit(batchRows),
        )
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
    canceled += batch;
    if (batch < batchRows) return canceled;
    await setImmediate();
  }
}

/** Housekeeping: finishes cancelling the queues of deleted endpoints (a process that died mid-DELETE leaves the rest pending). */
export async function cancelQueuesOfDeletedEndpoints(deps: Pick<WebhookDeps, 'db' | 'engine' | 'clock'>): Promise<number> {
  const endpoints = await deps.db
    .selectFrom('webhook_endpoints as e')
    .select('e.id')
    .where('e.deleted_at', 'is not', null)
    .where((eb) => eb.exists(eb.selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.endpoint_id', '=', 'e.id').where('d.status', '=', 'pending')))
    .execute();
  let canceled = 0;
  for (const { id } of endpoints) canceled += await cancelQueue(deps, id, deps.clock.now().toISOString());
  return canceled;
}

/** A new secret; the old one keeps signing alongside it for 24 hours so receivers can switch over. */
export async function rotateEndpointSecret(
  deps: WebhookDeps,
  principal: Principal,
  id: string,
): Promise<{ endpoint: WebhookEndpointView; signingSecret: string }> {
  const current = await findEndpoint(deps.db, principal.organizationId, id);
  const signingSecret = newSigningSecret();
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const stored = (await deps.vault.get<SigningSecrets>(trx, current.secret_entry_id)) ?? { secrets: [] };
    await deps.vault.put(trx, current.secret_entry_id, rotate(stored, signingSecret, now));
    await trx.updateTable('webhook_endpoints').set({ updated_at: now.toISOString() }).where('id', '=', current.id).execute();
  });
  return { endpoint: toEndpointView(await findEndpoint(deps.db, principal.organizationId, id)), signingSecret };
}

export function toEndpointView(row: WebhookEndpointsTable): WebhookEndpointView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as string[],
    projectId: row.project_id,
    status: row.status,
    consecutiveFailures: row.consecutive_failures,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
