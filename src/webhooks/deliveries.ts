import type { Kysely } from 'kysely';
import type { Principal } from '../api-keys/authenticate.ts';
import type { Clock } from '../clock.ts';
import type { Database, WebhookDeliveriesTable, WebhookDeliveryStatus } from '../db/schema.ts';
import { notFound } from '../errors.ts';
import { after, toPage, type Cursor } from '../http/pagination.ts';
import type { EventType } from './catalog.ts';
import { findEndpoint } from './endpoints.ts';
import { emitEvent } from './events.ts';

export interface DeliveryView {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastResponseStatus: number | null;
  lastResponseBody: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export async function listDeliveries(
  db: Kysely<Database>,
  principal: Principal,
  endpointId: string,
  query: { status?: WebhookDeliveryStatus | undefined; eventType?: EventType | undefined; limit: number; cursor?: Cursor | undefined },
): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
  const endpoint = await findEndpoint(db, principal.organizationId, endpointId);
  let select = db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpoint.id);
  if (query.status) select = select.where('status', '=', query.status);
  if (query.eventType) select = select.where('event_type', '=', query.eventType);
  if (query.cursor) select = select.where(after<Database, 'webhook_deliveries'>(query.cursor, 'created_at'));
  const rows = await select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute();
  return toPage(rows, query.limit, (row) => ({ at: row.created_at, id: row.id }), toDeliveryView);
}

/** Sends `test.ping` to one endpoint, whatever it subscribes to. */
export async function sendTestPing(db: Kysely<Database>, clock: Clock, principal: Principal, endpointId: string): Promise<DeliveryView> {
  const endpoint = await findEndpoint(db, principal.organizationId, endpointId);
  const deliveryId = await db.transaction().execute(async (trx) => {
    const { deliveryIds } = await emitEvent(
      trx,
      clock,
      { organizationId: principal.organizationId, projectId: endpoint.project_id, type: 'test.ping', data: { projectId: endpoint.project_id, endpointId: endpoint.id } },
      { onlyEndpointId: endpoint.id },
    );
    return deliveryIds[0] as string;
  });
  return getDelivery(db, principal, deliveryId);
}

/**
 * Re-sends a delivery's event to its endpoint as a new event (new id, `replayOf` naming the
 * original), so a receiver's dedupe on X-Layers-Event-Id does not swallow it.
 */
export async function replayDelivery(db: Kysely<Database>, clock: Clock, principal: Principal, deliveryId: string): Promise<DeliveryView> {
  const original = await getDeliveryRow(db, principal, deliveryId);
  const endpoint = await findEndpoint(db, principal.organizationId, original.endpoint_id);
  const event = await db.selectFrom('webhook_events').selectAll().where('id', '=', original.event_id).executeTakeFirstOrThrow();
  const { data } = JSON.parse(event.payload) as { data: Record<string, unknown> };
  const newDeliveryId = await db.transaction().execute(async (trx) => {
    const { deliveryIds } = await emitEvent(
      trx,
      clock,
      { organizationId: event.organization_id, projectId: event.project_id, type: event.type as EventType, data, replayOf: event.replay_of ?? event.id },
      { onlyEndpointId: endpoint.id },
    );
    return deliveryIds[0] as string;
  });
  return getDelivery(db, principal, newDeliveryId);
}

async function getDelivery(db: Kysely<Database>, principal: Principal, id: string): Promise<DeliveryView> {
  return toDeliveryView(await getDeliveryRow(db, principal, id));
}

async function getDeliveryRow(db: Kysely<Database>, principal: Principal, id: string): Promise<WebhookDeliveriesTable> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('id', '=', id)
    .where('organization_id', '=', principal.organizationId)
    .executeTakeFirst();
  if (!row) throw notFound(`Webhook delivery ${id}`);
  return row;
}

function toDeliveryView(row: WebhookDeliveriesTable): DeliveryView {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastResponseStatus: row.last_response_status,
    lastResponseBody: row.last_response_body,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
