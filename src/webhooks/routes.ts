import { z } from 'zod';
import type { RouteApp } from '../http/app.ts';
import { principalOf } from '../http/access.ts';
import { errorResponses } from '../http/openapi.ts';
import { paginationQuery } from '../http/pagination.ts';
import { pathId } from '../http/path-params.ts';
import { EVENT_TYPES } from './catalog.ts';
import { listDeliveries, replayDelivery, sendTestPing } from './deliveries.ts';
import {
  createEndpoint,
  deleteEndpoint,
  findEndpoint,
  listEndpoints,
  rotateEndpointSecret,
  toEndpointView,
  updateEndpoint,
  type WebhookDeps,
} from './endpoints.ts';
import {
  createEndpointBody,
  DELIVERY_STATUSES,
  deliverySchema,
  ENDPOINT_STATUSES,
  endpointSchema,
  endpointWithSecretSchema,
  updateEndpointBody,
} from './schemas.ts';

const tags = ['Webhooks'];
const endpointParam = z.object({ endpointId: pathId('we') });
const read = { access: { scope: 'webhooks:read', endpointClass: 'read' } } as const;
const write = { access: { scope: 'webhooks:write', endpointClass: 'write' } } as const;
const page = <T extends z.ZodType>(item: T, id: string) => z.object({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id });

export function registerWebhookRoutes(app: RouteApp, deps: WebhookDeps): void {
  const { db, clock } = deps;

  app.post(
    '/v1/webhook-endpoints',
    {
      schema: { tags, summary: 'Create an endpoint (the signing secret is shown once)', body: createEndpointBody, response: { 201: endpointWithSecretSchema, ...errorResponses } },
      config: write,
    },
    async (request, reply) => reply.status(201).send(await createEndpoint(deps, principalOf(request), request.body)),
  );

  app.get(
    '/v1/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'List endpoints',
        querystring: z.strictObject({ projectId: pathId('prj').optional(), status: z.enum(ENDPOINT_STATUSES).optional(), ...paginationQuery }),
        response: { 200: page(endpointSchema, 'WebhookEndpointPage'), ...errorResponses },
      },
      config: read,
    },
    async (request) => listEndpoints(db, principalOf(request).organizationId, request.query),
  );

  app.get(
    '/v1/webhook-endpoints/:endpointId',
    { schema: { tags, summary: 'Get an endpoint', params: endpointParam, response: { 200: endpointSchema, ...errorResponses } }, config: read },
    async (request) => toEndpointView(await findEndpoint(db, principalOf(request).organizationId, request.params.endpointId)),
  );

  app.patch(
    '/v1/webhook-endpoints/:endpointId',
    {
      schema: {
        tags,
        summary: 'Update an endpoint; status "active" resumes an auto-paused one',
        params: endpointParam,
        body: updateEndpointBody,
        response: { 200: endpointSchema, ...errorResponses },
      },
      config: write,
    },
    async (request) => updateEndpoint(deps, principalOf(request), request.params.endpointId, request.body),
  );

  app.delete(
    '/v1/webhook-endpoints/:endpointId',
    {
      schema: {
        tags,
        summary: 'Delete an endpoint (queued deliveries are canceled)',
        params: endpointParam,
        response: { 200: z.object({ id: z.string(), deleted: z.literal(true) }), ...errorResponses },
      },
      config: write,
    },
    async (request) => deleteEndpoint(deps, principalOf(request), request.params.endpointId),
  );

  app.post(
    '/v1/webhook-endpoints/:endpointId/test',
    { schema: { tags, summary: 'Send a test.ping event', params: endpointParam, response: { 202: deliverySchema, ...errorResponses } }, config: write },
    async (request, reply) => reply.status(202).send(await sendTestPing(db, clock, principalOf(request), request.params.endpointId)),
  );

  app.post(
    '/v1/webhook-endpoints/:endpointId/rotate-secret',
    {
      schema: { tags, summary: 'Rotate the signing secret (the old one signs too for 24 h)', params: endpointParam, response: { 200: endpointWithSecretSchema, ...errorResponses } },
      config: write,
    },
    async (request) => rotateEndpointSecret(deps, principalOf(request), request.params.endpointId),
  );

  app.get(
    '/v1/webhook-endpoints/:endpointId/deliveries',
    {
      schema: {
        tags,
        summary: 'List an endpoint’s deliveries, newest first',
        params: endpointParam,
        querystring: z.strictObject({ status: z.enum(DELIVERY_STATUSES).optional(), eventType: z.enum(EVENT_TYPES).optional(), ...paginationQuery }),
        response: { 200: page(deliverySchema, 'WebhookDeliveryPage'), ...errorResponses },
      },
      config: read,
    },
    async (request) => listDeliveries(db, principalOf(request), request.params.endpointId, request.query),
  );

  app.post(
    '/v1/webhook-deliveries/:deliveryId/replay',
    {
      schema: {
        tags,
        summary: 'Send a delivery’s event again, as a new event with replayOf',
        params: z.object({ deliveryId: pathId('wd') }),
        response: { 202: deliverySchema, ...errorResponses },
      },
      config: write,
    },
    async (request, reply) => reply.status(202).send(await replayDelivery(db, clock, principalOf(request), request.params.deliveryId)),
  );
}
