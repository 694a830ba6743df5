import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** The error envelope of docs/reference/conventions.md, as documented on every route. */
export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      requestId: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'ErrorEnvelope' });

/** Responses every authenticated route can give besides its own. */
export const errorResponses = { '4xx': errorEnvelopeSchema, '5xx': errorEnvelopeSchema };

/**
 * OpenAPI 3.1 generated from the routes' Zod schemas (GET /openapi.json) and a readable
 * reference page (GET /docs). Only tagged routes are documented.
 */
export async function installOpenApi(app: FastifyInstance, publicBaseUrl: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Layers Partner API — social accounts',
        version: '1.0.0',
        description:
          'Self-hostable server for the social-accounts part of the Layers Partner API. ' +
          'Authenticate with `Authorization: Bearer lp_<env>_…`. Errors use one envelope: ' +
          '`{ "error": { "code", "message", "requestId", "details" } }`.',
      },
      servers: [{ url: publicBaseUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    hideUntagged: true,
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.get('/openapi.json', async () => app.swagger());
}
