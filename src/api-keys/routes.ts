import { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { RouteApp } from '../http/app.ts';
import { principalOf } from '../http/access.ts';
import { errorResponses } from '../http/openapi.ts';
import { keyIdParam } from '../http/path-params.ts';
import { assertMayStopKey, killApiKey, retireApiKey } from './api-keys.ts';

const whoamiResponse = z
  .object({
    organizationId: z.string(),
    organizationName: z.string(),
    apiKeyId: z.string(),
    env: z.enum(['live', 'test']),
    scopes: z.array(z.string()),
    rateLimitTier: z.string(),
    returnUrlAllowlist: z.array(z.string()),
  })
  .meta({ id: 'Whoami' });

const apiKeyResponse = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    name: z.string().nullable(),
    env: z.enum(['live', 'test']),
    prefix: z.string().describe('The public start of the secret, lp_<env>_<lookupId>; safe to log.'),
    scopes: z.array(z.string()),
    returnUrlAllowlist: z.array(z.string()),
    rateLimitTier: z.string(),
    status: z.enum(['active', 'killed', 'retired']),
    killedAt: z.string().nullable(),
    retiredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'ApiKey' });

export function registerApiKeyRoutes(app: RouteApp, deps: { db: Kysely<Database>; clock: Clock }): void {
  app.get(
    '/v1/whoami',
    {
      schema: { tags: ['API keys'], summary: 'The calling key and its organization', response: { 200: whoamiResponse, ...errorResponses } },
      config: { access: { scope: null, endpointClass: 'read' } },
    },
    async (request) => {
      const p = principalOf(request);
      return {
        organizationId: p.organizationId,
        organizationName: p.organizationName,
        apiKeyId: p.apiKeyId,
        env: p.env,
        scopes: p.scopes,
        rateLimitTier: p.tier,
        returnUrlAllowlist: p.returnUrlAllowlist,
      };
    },
  );

  // Every key may stop itself; another key of its organization takes keys:write (assertMayStopKey);
  // another organization's key is absent (404).
  app.post(
    '/v1/api-keys/:keyId/kill',
    {
      schema: {
        tags: ['API keys'],
        summary: 'Kill a key of your organization (emergency stop; final). Any key may kill itself; another key takes keys:write',
        params: keyIdParam,
        response: { 200: apiKeyResponse, ...errorResponses },
      },
      config: { access: { scope: null, endpointClass: 'write' } },
    },
    async (request) => {
      const principal = principalOf(request);
      assertMayStopKey(principal, request.params.keyId);
      return killApiKey(deps.db, deps.clock, request.params.keyId, principal.organizationId);
    },
  );

  app.delete(
    '/v1/api-keys/:keyId',
    {
      schema: {
        tags: ['API keys'],
        summary: 'Retire a key of your organization (rotation; final). Any key may retire itself; another key takes keys:write',
        params: keyIdParam,
        response: { 200: apiKeyResponse, ...errorResponses },
      },
      config: { access: { scope: null, endpointClass: 'write' } },
    },
    async (request) => {
      const principal = principalOf(request);
      assertMayStopKey(principal, request.params.keyId);
      return retireApiKey(deps.db, deps.clock, request.params.keyId, principal.organizationId);
    },
  );
}
