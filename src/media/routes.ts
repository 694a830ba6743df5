import { z } from 'zod';
import { ApiError, notFound } from '../errors.ts';
import type { RouteApp } from '../http/app.ts';
import { pathId } from '../http/path-params.ts';
import type { MediaDeps } from './media-store.ts';
import { findMedia } from './media-store.ts';
import { matchesEtag, parseRange } from './http-range.ts';

/**
 * Public, unauthenticated: avatar and asset URLs are embedded in partners' pages and fetched by
 * platforms. Ids are unguessable. Video players and platforms fetch ranges; bytes never change
 * under an id, so caches may keep them forever.
 */
export function registerMediaRoutes(app: RouteApp, deps: Pick<MediaDeps, 'db' | 'blobs'>): void {
  app.get(
    '/media/:mediaId',
    {
      schema: {
        tags: ['Media'],
        summary: 'A stored image or video (avatars, content assets); supports Range and If-None-Match',
        security: [],
        params: z.object({ mediaId: pathId('med') }),
      },
    },
    async (request, reply) => {
      const media = await findMedia(deps.db, deps.blobs, request.params.mediaId);
      if (!media) throw notFound('Media');
      reply
        .header('etag', media.etag)
        .header('accept-ranges', 'bytes')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'");
      if (matchesEtag(request.headers['if-none-match'], media.etag)) return reply.status(304).send();
      const ifRange = request.headers['if-range'];
      const rangeHeader = ifRange === undefined || ifRange === media.etag ? request.headers.range : undefined;
      const range = parseRange(rangeHeader, media.size);
      if (range.kind === 'unsatisfiable') {
        reply.header('content-range', `bytes */${media.size}`);
        throw new ApiError(416, 'VALIDATION', `The requested range is outside the object's ${media.size} bytes.`);
      }
      const body = await media.open(range.kind === 'partial' ? range.range : undefined);
      if (body === null) throw notFound('Media');
      reply.type(media.contentType);
      if (range.kind === 'whole') return reply.header('content-length', media.size).send(body);
      const { start, end } = range.range;
      return reply
        .status(206)
        .header('content-range', `bytes ${start}-${end}/${media.size}`)
        .header('content-length', end - start + 1)
        .send(body);
    },
  );
}
