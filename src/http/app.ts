import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { registerApiKeyRoutes } from '../api-keys/routes.ts';
import { registerContentRoutes } from '../content/routes.ts';
import { registerUploadRoute } from '../content/upload-route.ts';
import { installAuditLog } from '../audit/audit-log.ts';
import { newUlidId } from '../ids.ts';
import { registerMediaRoutes } from '../media/routes.ts';
import { registerProjectRoutes } from '../projects/routes.ts';
import type { Services } from '../services.ts';
import { registerSocialRoutes } from '../social/routes.ts';
import { registerWebhookRoutes } from '../webhooks/routes.ts';
import { installAccessControl } from './access.ts';
import { installErrorHandling } from './error-handler.ts';
import { installIdempotency } from './idempotency.ts';
import { logRedaction, requestSerializer } from './logging.ts';
import { installOrganizationHeader } from './organization-header.ts';
import { installMetrics } from './metrics.ts';
import { installOpenApi } from './openapi.ts';
import { registerSystemRoutes } from './system-routes.ts';
import { zodValidatorCompiler } from './validation.ts';

/** The app as route modules see it: request and response types inferred from their Zod schemas. */
export type RouteApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

const ONE_MIB = 1024 * 1024;

/** The HTTP app over a process's services; `logger` is false (tests) or pino options. */
export async function buildApp(deps: Services, logger: FastifyServerOptions['logger']): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger ? { ...(typeof logger === 'object' ? logger : {}), redact: logRedaction, serializers: { req: requestSerializer } } : false,
    genReqId: () => newUlidId('req'),
    // The request id is ours alone: a client-sent X-Request-Id would let callers forge log lines.
    requestIdHeader: false,
    bodyLimit: ONE_MIB,
    trustProxy: true,
    routerOptions: { ignoreTrailingSlash: true },
  });
  // JSON in, JSON out (docs/reference/conventions.md): Fastify's built-in text/plain parser would let a text body reach
  // the schema (422); without it, any other media type is a 400.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  installErrorHandling(app);
  installMetrics(app);
  await installOpenApi(app, deps.publicBaseUrl);
  installAccessControl(app, deps);
  installOrganizationHeader(app);
  installIdempotency(app, deps);
  installAuditLog(app, deps);

  const routes = app.withTypeProvider<ZodTypeProvider>();
  registerSystemRoutes(routes, deps);
  registerApiKeyRoutes(routes, deps);
  registerProjectRoutes(routes, deps);
  registerSocialRoutes(routes, deps);
  registerMediaRoutes(routes, deps);
  registerWebhookRoutes(routes, deps);
  registerContentRoutes(routes, deps);
  await registerUploadRoute(routes, deps);
  return app;
}
