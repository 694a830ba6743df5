import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../errors.ts';
import type { RouteApp } from '../http/app.ts';
import { errorResponses } from '../http/openapi.ts';
import type { ContentDeps } from './deps.ts';
import { receiveUpload } from './direct-upload.ts';
import { receivedUploadSchema } from './schemas.ts';

/** PUTs one client address may make per minute: a slideshow is 10 files, retries included. */
const UPLOADS_PER_MINUTE = 120;

/**
 * The upload URLs carry no API key (the token is the credential), so they spend a budget of the
 * client's address instead; shared through Redis when the deployment has it.
 */
export function createUploadLimiter(redis: Redis | null): RateLimiterAbstract {
  const options = { points: UPLOADS_PER_MINUTE, duration: 60, keyPrefix: 'layers:rl:uploads' };
  return redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) }) : new RateLimiterMemory(options);
}

/**
 * `PUT /uploads/<token>` (filesystem store): outside `/v1` and its API-key access control, and in
 * its own scope so the body is streamed to the store instead of going through the 1 MiB JSON parser.
 */
export async function registerUploadRoute(app: RouteApp, deps: ContentDeps & { uploadLimiter: RateLimiterAbstract }): Promise<void> {
  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<ZodTypeProvider>();
    scope.removeAllContentTypeParsers();
    // Leave the body unread: receiveUpload streams it to scratch space, enforcing the declared size.
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    scope.put(
      '/uploads/:token',
      {
        schema: {
          tags: ['Content'],
          summary: 'Upload one file’s bytes (the URL from POST …/content/uploads; no API key)',
          security: [],
          params: z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Not an upload URL issued by this server.') }),
          response: { 200: receivedUploadSchema, ...errorResponses },
        },
        onRequest: async (request, reply) => {
          try {
            await deps.uploadLimiter.consume(request.ip);
          } catch (rejection) {
            if (!(rejection instanceof RateLimiterRes)) throw rejection;
            const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
            reply.header('retry-after', retryAfter);
            throw new ApiError(429, 'RATE_LIMITED', `Too many uploads from this address; retry in ${retryAfter} s.`, { endpointClass: 'upload', retryAfterSeconds: retryAfter });
          }
        },
      },
      async (request) =>
        receiveUpload(deps, request.params.token, {
          contentType: request.headers['content-type'],
          contentLength: request.headers['content-length'],
          body: request.raw,
        }),
    );
  });
}
