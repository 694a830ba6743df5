import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteApp } from '../http/app.ts';
import { errorResponses } from '../http/openapi.ts';
import type { ContentDeps } from './deps.ts';
import { receiveUpload } from './direct-upload.ts';
import { receivedUploadSchema } from './schemas.ts';

/**
 * `PUT /uploads/<token>` (filesystem store): outside `/v1` and its API-key access control (the token
 * is the credential, so the route spends its client address's `upload` budget: docs/security.md),
 * and in its own scope so the body is streamed to the store instead of the 1 MiB JSON parser.
 */
export async function registerUploadRoute(app: RouteApp, deps: ContentDeps): Promise<void> {
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
        config: { unauthenticated: { addressClass: 'upload' } },
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
