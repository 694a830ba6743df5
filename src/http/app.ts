import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type { ApiKeyHashKeys } from '../api-keys/authenticate.ts';
import { registerApiKeyRoutes } from '../api-keys/routes.ts';
import { installAuditLog } from '../audit/audit-log.ts';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { newUlidId } from '../ids.ts';
import { registerMediaRoutes } from '../media/routes.ts';
import type { PlatformRegistry } from '../platforms/registry.ts';
import { registerProjectRoutes } from '../projects/routes.ts';
import { registerSocialRoutes } from '../social/routes.ts';
import type { TokenRefresher } from '../social/token-refresh.ts';
import type { Vault } from '../vault/vault.ts';
import { registerWebhookRoutes } from '../webhooks/routes.ts';
import { installAccessControl } from './access.ts';
import { installErrorHandling } from './error-handler.ts';
import { installIdempotency } from './idempotency.ts';
import { logRedaction, requestSerializer } from './logging.ts';
import { installOrganizationHeader } from './organization-header.ts';
import { installMetrics } from './metrics.ts';
import { installOpenApi } from './openapi.ts';
import type { RateLimiter } from './rate-limit.ts';
import { registerSystemRoutes } from './system-routes.ts';
import { zodValidatorCompiler } from './validation.ts';

/** Everything the HTTP app needs from outside; tests pass their own clock and database. */
export interface AppDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** Subkeys for hashing API key secrets (derived once from LAYERS_SECRET_KEY and its predecessors). */
  apiKeyHashKeys: ApiKeyHashKeys;
  rateLimiter: RateLimiter;
  publicBaseUrl: string;
  /** Production mode: stricter webhook URL rules. */
  production: boolean;
  vault: Vault;
  platforms: PlatformRegistry;
  refresher: TokenRefresher;
  /** Outbound HTTP for copying avatars. */
  fetch: typeof fetch;
  /** false, or pino options; tests usually pass false. */
  logger: FastifyServerOptions['logger'];
}

/** The app as route modules see it: request and response types inferred from their Zod schemas. */
export type RouteApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

const ONE_MIB = 1024 * 1024;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ? { ...(typeof deps.logger === 'object' ? deps.logger : {}), redact: logRedaction, serializers: { req: requestSerializer } } : false,
    genReqId: () => newUlidId('req'),
    // The request id is ours alone: a client-sent X-Request-Id would let callers forge log lines.
    requestIdHeader: false,
    bodyLimit: ONE_MIB,
    trustProxy: true,
    routerOptions: { ignoreTrailingSlash: true },
  });
  // JSON in, JSON out (API.md): Fastify's built-in text/plain parser would let a text body reach
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
  return app;
}
