import type { Insertable, Transaction } from 'kysely';
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
  return (await emitEvents(trx, clock, [event], options))[0] as { eventId: string; deliveryIds: string[] };
}

/**
 * Rows one insert writes: a bulk change (a project's archive cancels every queued post, each with
 * its event) writes its events and their deliveries a few statements in all, not a few per event
 * (docs/performance.md, "Sixteenth round"), and under both engines' limits on parameters.
 */
const ROWS_PER_INSERT = 500;

/** `emitEvent` for several events at once, in order; one read of each organization's endpoints. */
export async function emitEvents(
  trx: Transaction<Database>,
  clock: Clock,
  events: readonly NewEvent[],
  options: { onlyEndpointId?: string } = {},
): Promise<Array<{ eventId: string; deliveryIds: string[] }>> {
  const now = clock.now().toISOString();
  const written = events.map((event) => {
    const id = newUlidId('evt');
    const payload = JSON.stringify({ id, type: event.type, createdAt: now, ...(event.replayOf ? { replayOf: event.replayOf } : {}), data: event.data });
    return { event, row: { id, organization_id: event.organizationId, project_id: event.projectId, type: event.type, payload, replay_of: event.replayOf ?? null, created_at: now } };
  });
  await insertInChunks(trx, 'webhook_events', written.map(({ row }) => row));

  const endpointsOf = new Map<string, Array<{ id: string; project_id: string | null; events: string[] }>>();
  for (const organizationId of new Set(events.map((event) => event.organizationId))) {
    let query = trx.selectFrom('webhook_endpoints').select(['id', 'project_id', 'events']).where('organization_id', '=', organizationId).where('deleted_at', 'is', null);
    if (options.onlyEndpointId) query = query.where('id', '=', options.onlyEndpointId);
    endpointsOf.set(organizationId, (await query.execute()).map((endpoint) => ({ ...endpoint, events: JSON.parse(endpoint.events) as string[] })));
  }
  const emitted = written.map(({ event, row: { id: eventId } }) => {
    const endpoints = (endpointsOf.get(event.organizationId) ?? []).filter(
      (endpoint) => options.onlyEndpointId || (endpoint.events.includes(event.type) && (endpoint.project_id === null || endpoint.project_id === event.projectId)),
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
    return { eventId, deliveries };
  });
  await insertInChunks(trx, 'webhook_deliveries', emitted.flatMap(({ deliveries }) => deliveries));
  return emitted.map(({ eventId, deliveries }) => ({ eventId, deliveryIds: deliveries.map((d) => d.id) }));
}

async function insertInChunks<T extends 'webhook_events' | 'webhook_deliveries'>(trx: Transaction<Database>, table: T, rows: Array<Insertable<Database[T]>>): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    await trx.insertInto(table).values(rows.slice(start, start + ROWS_PER_INSERT)).execute();
  }
}
