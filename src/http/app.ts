import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { registerApiKeyRoutes } from '../api-keys/routes.ts';
import { registerContentRoutes } from '../content/routes.ts';
import { registerUploadRoute } from '../content/upload-route.ts';
import { installAuditLog } from '../audit/audit-log.ts';
import { newUlidId } from '../ids.ts';
import { registerMediaRoutes } from '../media/routes.ts';
import { registerMetricsRoutes } from '../metrics/routes.ts';
import { findPostableContainer } from '../content/postable.ts';
import { registerPostRoutes } from '../posts/routes.ts';
import { registerProjectRoutes } from '../projects/routes.ts';
import type { Services } from '../services.ts';
import { registerSocialRoutes } from '../social/routes.ts';
import { registerWebhookRoutes } from '../webhooks/routes.ts';
import { installAccessControl } from './access.ts';
import { answerClientError, answerFrameworkError, installErrorHandling } from './error-handler.ts';
import { installIdempotency } from './idempotency.ts';
import { installJsonBodyParser } from './json-body.ts';
import { AccessLog, logRedaction, requestSerializer } from './logging.ts';
import { installOrganizationHeader } from './organization-header.ts';
import { installMetrics } from './metrics.ts';
import { installOpenApi } from './openapi.ts';
import { responseSerializerCompiler } from './response-serializer.ts';
import { registerSystemRoutes } from './system-routes.ts';
import { zodValidatorCompiler } from './validation.ts';

/** How the HTTP app faces its clients; tests pass `{ logger: false }`. */
export interface AppOptions {
  /** false, or pino options. */
  logger: FastifyServerOptions['logger'];
  /** Which proxies may set X-Forwarded-For (TRUST_PROXY); the client address keys rate limits. Default: none. */
  trustProxy?: boolean | number | string[];
  /** When set, GET /metrics asks for this bearer token (METRICS_TOKEN). */
  metricsToken?: string | null;
  timeouts?: HttpTimeouts;
  /** Also check every response against its Zod schema, and the bytes written against the Zod path's (the tests). */
  checkResponses?: boolean;
}

/**
 * How long a client may take (docs/security.md). Totals, not idle timers, where a slow client
 * could otherwise hold a connection by trickling bytes: all headers within `headersMs`, the whole
 * request (body included) within `requestMs`. `idleMs` cuts a silent socket, `keepAliveMs` an
 * idle keep-alive connection between requests. Node checks the totals every `checkIntervalMs`.
 */
export interface HttpTimeouts {
  headersMs: number;
  requestMs: number;
  idleMs: number;
  keepAliveMs: number;
  checkIntervalMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersMs: 15_000,
  requestMs: 30_000,
  idleMs: 60_000,
  // Longer than the idle timeout of common load balancers (60 s), so they close first.
  keepAliveMs: 72_000,
  checkIntervalMs: 1_000,
};

/** The app as route modules see it: request and response types inferred from their Zod schemas. */
export type RouteApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

const ONE_MIB = 1024 * 1024;

/** A hop count means: trust that many proxies nearest to us (what proxy-addr does with a number). */
function trustedProxies(trust: boolean | number | string[]): FastifyServerOptions['trustProxy'] {
  return typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust;
}

/** The HTTP app over a process's services (src/services.ts). */
export async function buildApp(deps: Services, options: AppOptions): Promise<FastifyInstance> {
  const { logger } = options;
  const timeouts = options.timeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const app = Fastify({
    logger: logger ? { ...(typeof logger === 'object' ? logger : {}), redact: logRedaction, serializers: { req: requestSerializer } } : false,
    logController: new AccessLog(),
    genReqId: () => newUlidId('req'),
    // The request id is ours alone: a client-sent X-Request-Id would let callers forge log lines.
    requestIdHeader: false,
    bodyLimit: ONE_MIB,
    // Trusting every X-Forwarded-For would let a client pick its own address, and so its own rate-limit budget.
    trustProxy: trustedProxies(options.trustProxy ?? false),
    routerOptions: { ignoreTrailingSlash: true },
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: timeouts.checkIntervalMs },
    // Failures before a request reaches a route still answer in the envelope, with a request id.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  // JSON in, JSON out (docs/reference/conventions.md): Fastify's built-in text/plain parser would let a text body reach
  // the schema (422); without it, any other media type is a 400.
  app.removeContentTypeParser('text/plain');
  installJsonBodyParser(app);
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler({ checkResponses: options.checkResponses ?? false }));
  // A callback, not an async function: it runs on every request and waits for nothing.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // A request is logged once answered (AccessLog); one whose client left first would leave no line.
  app.addHook('onRequestAbort', (request, done) => {
    request.log.info({ req: request }, 'request aborted');
    done();
  });

  installErrorHandling(app);
  installMetrics(app, { token: options.metricsToken ?? null });
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
  registerPostRoutes(routes, { db: deps.db, clock: deps.clock, findContainer: findPostableContainer, listedPages: deps.listedPages, listVersions: deps.listVersions });
  registerMetricsRoutes(routes, deps);
  await registerUploadRoute(routes, deps);
  return app;
}
