import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql, type Kysely } from 'kysely';
import type { Database, WebhookDeliveriesTable, WebhookDeliveryStatus } from '../../src/db/schema.ts';
import type { DeliveryView } from '../../src/webhooks/deliveries.ts';
import type { TestContext } from '../support/test-app.ts';

/** What a receiver recorded for one request. */
export interface Hook {
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: { id: string; type: string; createdAt: string; replayOf?: string; data: Record<string, unknown> };
  eventId: string;
  deliveryId: string;
}

/** How the receiver answers one request: a status, optionally a body, or never (`hang`). */
export type Answer = number | { status: number; body?: string; delayMs?: number } | 'hang';

export interface Receiver {
  url: string;
  port: number;
  received: Hook[];
  close(): Promise<void>;
}

/**
 * A partner's endpoint on loopback, more configurable than test/support's: answers with a body,
 * after a delay, or never. `close()` also drops connections still waiting for an answer.
 */
export async function startReceiver(answer: (hook: Hook) => Answer | Promise<Answer> = () => 200): Promise<Receiver> {
  const received: Hook[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const hook: Hook = {
        headers: request.headers,
        rawBody,
        body: JSON.parse(rawBody) as Hook['body'],
        eventId: String(request.headers['x-layers-event-id']),
        deliveryId: String(request.headers['x-layers-delivery-id']),
      };
      received.push(hook);
      const reply = await answer(hook);
      if (reply === 'hang') return;
      const { status, body, delayMs } = typeof reply === 'number' ? { status: reply, body: 'ok', delayMs: 0 } : reply;
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      response.statusCode = status;
      response.end(body ?? 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface EndpointView {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  projectId: string | null;
  status: 'active' | 'paused' | 'auto_paused';
  consecutiveFailures: number;
  createdAt: string;
  updatedAt: string;
}

/** Every route that names one endpoint by id, as [method, url]: each answers 404 for an endpoint the caller cannot see. */
export function endpointRoutes(endpointId: string): Array<readonly ['GET' | 'PATCH' | 'DELETE' | 'POST', string]> {
  const base = `/v1/webhook-endpoints/${endpointId}`;
  return [
    ['GET', base],
    ['PATCH', base],
    ['DELETE', base],
    ['POST', `${base}/test`],
    ['POST', `${base}/rotate-secret`],
    ['GET', `${base}/deliveries`],
  ];
}

export async function createProject(ctx: TestContext, secret: string, name = 'Hooked app'): Promise<string> {
  const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: secret, body: { name, timezone: 'UTC' } });
  assert.equal(res.statusCode, 201, res.body);
  return (res.json() as { id: string }).id;
}

export async function createEndpoint(
  ctx: TestContext,
  secret: string,
  body: { url: string; events: string[]; description?: string; projectId?: string },
): Promise<{ endpoint: EndpointView; signingSecret: string }> {
  const res = await ctx.call({ method: 'POST', url: '/v1/webhook-endpoints', key: secret, body });
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as { endpoint: EndpointView; signingSecret: string };
}

export async function getEndpoint(ctx: TestContext, secret: string, id: string): Promise<EndpointView> {
  const res = await ctx.call({ method: 'GET', url: `/v1/webhook-endpoints/${id}`, key: secret });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as EndpointView;
}

export async function patchEndpoint(ctx: TestContext, secret: string, id: string, body: Record<string, unknown>): Promise<EndpointView> {
  const res = await ctx.call({ method: 'PATCH', url: `/v1/webhook-endpoints/${id}`, key: secret, body });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as EndpointView;
}

/** POST …/test: queues one test.ping; returns the delivery. */
export async function sendTestPing(ctx: TestContext, secret: string, endpointId: string): Promise<DeliveryView> {
  const res = await ctx.call({ method: 'POST', url: `/v1/webhook-endpoints/${endpointId}/test`, key: secret });
  assert.equal(res.statusCode, 202, res.body);
  return res.json() as DeliveryView;
}

/** Every delivery of an endpoint (all pages), newest first. */
export async function listDeliveries(ctx: TestContext, secret: string, endpointId: string, query = ''): Promise<DeliveryView[]> {
  const items: DeliveryView[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const params = new URLSearchParams(query);
    params.set('limit', '200');
    if (cursor) params.set('cursor', cursor);
    const res = await ctx.call({ method: 'GET', url: `/v1/webhook-endpoints/${endpointId}/deliveries?${params}`, key: secret });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { items: DeliveryView[]; nextCursor: string | null };
    items.push(...body.items);
    cursor = body.nextCursor;
    if (!cursor) return items;
  }
  throw new Error('more than 100 pages of deliveries');
}

export async function getDelivery(ctx: TestContext, secret: string, endpointId: string, deliveryId: string): Promise<DeliveryView> {
  const found = (await listDeliveries(ctx, secret, endpointId)).find((d) => d.id === deliveryId);
  assert.ok(found, `delivery ${deliveryId} is not listed under endpoint ${endpointId}`);
  return found;
}

/** Every row of every table, serialized (for "this string is stored nowhere" checks). */
export async function dumpDatabase(database: { db: Kysely<Database>; engine: 'sqlite' | 'postgres' }): Promise<string> {
  const { db } = database;
  // Postgres introspection lists every schema's tables; a test database lives in its own schema.
  const schema = database.engine === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s : undefined;
  const tables = (await db.introspection.getTables()).filter((t) => schema === undefined || t.schema === schema);
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await (db as unknown as Kysely<Record<string, Record<string, unknown>>>).selectFrom(table.name).selectAll().execute();
    for (const row of rows) {
      for (const value of Object.values(row)) {
        parts.push(value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : String(value));
      }
    }
  }
  assert.ok(tables.some((t) => t.name === 'webhook_endpoints'), 'introspection found the webhook tables');
  return parts.join('\n');
}

/** A delivery row, for tests that write many straight into the database. */
export function deliveryRow(row: { id: string; organizationId: string; endpointId: string; eventId: string; createdAt: string; status: WebhookDeliveryStatus }): WebhookDeliveriesTable {
  return {
    id: row.id,
    organization_id: row.organizationId,
    endpoint_id: row.endpointId,
    event_id: row.eventId,
    event_type: 'test.ping',
    status: row.status,
    attempts: row.status === 'pending' ? 0 : 1,
    next_attempt_at: row.status === 'pending' ? row.createdAt : null,
    last_attempt_at: row.status === 'pending' ? null : row.createdAt,
    last_response_status: null,
    last_response_body: null,
    last_error: null,
    locked_until: null,
    created_at: row.createdAt,
    updated_at: row.createdAt,
  };
}
