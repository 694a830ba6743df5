import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { codeSamplesHtml, renderCodeSamples, type CodeSample } from './code-samples.ts';
import { SDK_OPERATIONS } from './sdk-operations.ts';

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

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];
type OpenApiDocument = ReturnType<typeof jsonSchemaTransformObject>;

/**
 * OpenAPI 3.1 generated from the routes' Zod schemas (GET /openapi.json) and a readable
 * reference page (GET /docs). Only tagged routes are documented. Every `/v1` operation carries the
 * operationId and the curl / TypeScript / Python samples of its row in `SDK_OPERATIONS`; named
 * schemas (`.meta({ id })`) become `components.schemas`, which the SDK's generated types name.
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
          '`{ "error": { "code", "message", "requestId", "details" } }`.\n\n' +
          'Each operation shows its call with curl and with the SDKs (docs/sdks.md in the repository): ' +
          'TypeScript `const layers = new Layers({ apiKey, baseUrl })` from `@layers-social/sdk`, ' +
          'Python `layers = Layers(api_key=..., base_url=...)` from `layers_social`.',
      },
      servers: [{ url: publicBaseUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    hideUntagged: true,
    transform: (input) => withSdkSamples(input, jsonSchemaTransform(input), publicBaseUrl),
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
    transformSpecification: showCodeSamples,
  });
  app.get('/openapi.json', async () => app.swagger());
}

function withSdkSamples(input: TransformInput, transformed: ReturnType<typeof jsonSchemaTransform>, baseUrl: string): ReturnType<typeof jsonSchemaTransform> {
  const method = String(input.route.method).toUpperCase();
  const path = input.url.replace(/:(\w+)/g, '{$1}');
  const operation = SDK_OPERATIONS[`${method} ${path}`];
  if (!operation) return transformed;
  const access = input.route.config?.access;
  const honoursIdempotencyKey = method !== 'GET' && access !== undefined && (access.idempotency ?? 'replay') === 'replay';
  const samples = renderCodeSamples({ method, path, baseUrl, honoursIdempotencyKey }, operation);
  return { ...transformed, schema: Object.assign({}, transformed.schema, { operationId: operation.operationId, 'x-codeSamples': samples }) };
}

/** For the page only: its renderer ignores `x-codeSamples`, so they join each operation's description. */
function showCodeSamples(document: Record<string, unknown>): Record<string, unknown> {
  const paths = (document as OpenApiDocument).paths ?? {};
  for (const item of Object.values(paths)) {
    for (const operation of Object.values(item ?? {}) as Array<{ description?: string; 'x-codeSamples'?: CodeSample[] }>) {
      const samples = operation?.['x-codeSamples'];
      if (!samples) continue;
      operation.description = [operation.description, codeSamplesHtml(samples)].filter(Boolean).join('\n\n');
    }
  }
  return document;
}
