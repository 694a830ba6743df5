import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.ts';
import { notFound } from '../errors.ts';
import type { RouteApp } from '../http/app.ts';
import { pathId } from '../http/path-params.ts';
import { readMedia } from './media-store.ts';

/** Public, unauthenticated: avatar URLs are embedded in partners' pages. Ids are unguessable. */
export function registerMediaRoutes(app: RouteApp, deps: { db: Kysely<Database> }): void {
  app.get(
    '/media/:mediaId',
    { schema: { tags: ['Media'], summary: 'A stored image (account avatars)', security: [], params: z.object({ mediaId: pathId('med') }) } },
    async (request, reply) => {
      const media = await readMedia(deps.db, request.params.mediaId);
      if (!media) throw notFound('Media');
      return reply
        .type(media.contentType)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'")
        .send(media.bytes);
    },
  );
}
