import type { Transaction } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { newId, newUlidId } from '../ids.ts';
import type { EventType } from './catalog.ts';

export interface NewEvent {
  organizationId: string;
  projectId: string | null;
  type: EventType;
  data: Record<string, unknown>;
  /** For a replay: the event it re-sends (the body carries `replayOf`). */
  replayOf?: string;
}

/**
 * Writes an event to the outbox and queues one delivery per subscribed endpoint, inside the
 * caller's transaction (the parameter's type makes that the only way to call it): an event exists if and only if the change it reports committed, and a
 * crash after the commit loses nothing (the delivery worker picks the rows up).
 * `onlyEndpointId` targets one endpoint whatever it subscribes to (test pings, replays).
 */
export async function emitEvent(
  trx: Transaction<Database>,
  clock: Clock,
  event: NewEvent,
  options: { onlyEndpointId?: string } = {},
): Promise<{ eventId: string; deliveryIds: string[] }> {
  const now = clock.now().toISOString();
  const eventId = newUlidId('evt');
  const payload = JSON.stringify({
    id: eventId,
    type: event.type,
    createdAt: now,
    ...(event.replayOf ? { replayOf: event.replayOf } : {}),
    data: event.data,
  });
  await trx
    .insertInto('webhook_events')
    .values({
      id: eventId,
      organization_id: event.organizationId,
      project_id: event.projectId,
      type: event.type,
      payload,
      replay_of: event.replayOf ?? null,
      created_at: now,
    })
    .execute();

  let query = trx
    .selectFrom('webhook_endpoints')
    .select(['id', 'project_id', 'events'])
    .where('organization_id', '=', event.organizationId)
    .where('deleted_at', 'is', null);
  if (options.onlyEndpointId) query = query.where('id', '=', options.onlyEndpointId);
  const endpoints = (await query.execute()).filter(
    (endpoint) =>
      options.onlyEndpointId ||
      ((JSON.parse(endpoint.events) as string[]).includes(event.type) &&
        (endpoint.project_id === null || endpoint.project_id === event.projectId)),
  );
  const deliveries = endpoints.map((endpoint) => ({
    id: newId('wd'),
    organization_id: event.organizationId,
    endpoint_id: endpoint.id,
    event_id: eventId,
    event_type: event.type,
    status: 'pending' as const,
    attempts: 0,
    next_attempt_at: now,
    last_attempt_at: null,
    last_response_status: null,
    last_response_body: null,
    last_error: null,
    locked_until: null,
    created_at: now,
    updated_at: now,
  }));
  if (deliveries.length > 0) await trx.insertInto('webhook_deliveries').values(deliveries).execute();
  return { eventId, deliveryIds: deliveries.map((d) => d.id) };
}
