import { z } from 'zod';
import { isPrefixedId } from '../ids.ts';
import { EVENT_TYPES } from './catalog.ts';

// Any host the URL standard accepts, IPv6 literals included; endpoint-url.ts applies the policy.
const url = z.url({ protocol: /^https?$/ }).max(2048);
const events = z.array(z.enum(EVENT_TYPES)).min(1).max(50);
const description = z.string().max(500);

export const createEndpointBody = z
  .strictObject({
    url,
    events,
    description: description.optional(),
    projectId: z.string().refine((v) => isPrefixedId(v, 'prj'), { message: 'Must be the prefixed form prj_<uuid>.' }).optional(),
  })
  .meta({ id: 'CreateWebhookEndpoint' });

export const updateEndpointBody = z
  .strictObject({
    url: url.optional(),
    events: events.optional(),
    description: description.nullable().optional(),
    status: z.enum(['active', 'paused']).optional(),
  })
  .meta({ id: 'UpdateWebhookEndpoint' });

export const ENDPOINT_STATUSES = ['active', 'paused', 'auto_paused'] as const;
export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'abandoned', 'canceled'] as const;

export const endpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.string()),
    projectId: z.string().nullable(),
    status: z.enum(ENDPOINT_STATUSES),
    consecutiveFailures: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WebhookEndpoint' });

export const endpointWithSecretSchema = z
  .object({ endpoint: endpointSchema, signingSecret: z.string().describe('whsec_…; shown only in this response.') })
  .meta({ id: 'WebhookEndpointWithSecret' });

export const deliverySchema = z
  .object({
    id: z.string(),
    endpointId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    lastResponseStatus: z.number().int().nullable(),
    lastResponseBody: z.string().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });
