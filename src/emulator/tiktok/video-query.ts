import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { firstValue, toFormValues } from '../form-values.ts';
import type { PublishedItem } from '../published-media.ts';
import { takePublishFault } from '../publishing-controls.ts';
import type { EmulatorState } from '../state.ts';
import { authenticateTikTokApi } from './api-auth.ts';
import { tiktokApiError, tiktokApiFaultBody, tiktokLogId } from './errors.ts';

/** At most 20 ids a call (docs/platforms/tiktok.md, "Metrics"). */
const MAX_VIDEO_IDS = 20;

const bodySchema = z.object({ filters: z.object({ video_ids: z.array(z.string().min(1)).min(1).max(MAX_VIDEO_IDS) }) });

function videoFields(item: PublishedItem, username: string): Record<string, unknown> {
  return {
    id: item.externalId,
    create_time: Math.floor(item.publishedAt / 1000),
    title: item.caption,
    video_description: item.caption,
    share_url: `https://www.tiktok.com/@${username}/${item.kind}/${item.externalId}`,
    view_count: item.stats.views,
    like_count: item.stats.likes,
    comment_count: item.stats.comments,
    share_count: item.stats.shares,
  };
}

const KNOWN_FIELDS = new Set(['id', 'create_time', 'title', 'video_description', 'share_url', 'view_count', 'like_count', 'comment_count', 'share_count']);

/** `POST /v2/video/query/` of open.tiktokapis.com (scope `video.list`): the creator's own posted videos by id. */
export function registerTikTokVideoQueryRoute(scope: FastifyInstance, host: string, state: EmulatorState): void {
  scope.post(`${host}/v2/video/query/`, async (request, reply) => {
    const now = state.clock.now();
    const auth = authenticateTikTokApi(state, request, ['video.list']);
    if (!auth.ok) return reply.code(auth.status).send(auth.body);
    const { username } = auth.grant;
    const fault = takePublishFault(state, 'tiktok', username, 'video_query');
    if (fault) return reply.code(fault.status).send(fault.body ?? tiktokApiFaultBody(fault.status, now));
    const fields = (firstValue(toFormValues(request.query), 'fields') ?? '').split(',').map((field) => field.trim()).filter(Boolean);
    const unknown = fields.filter((field) => !KNOWN_FIELDS.has(field));
    if (fields.length === 0 || unknown.length > 0) {
      return reply.code(400).send(tiktokApiError('invalid_params', fields.length === 0 ? 'fields is required.' : `Invalid fields: ${unknown.join(',')}`, now));
    }
    const body = bodySchema.safeParse(request.body);
    if (!body.success) {
      return reply.code(400).send(tiktokApiError('invalid_params', `filters.video_ids must list 1 to ${MAX_VIDEO_IDS} ids.`, now));
    }
    // Only the creator's own posts on the profile; drafts and other creators' videos are not found.
    const videos = body.data.filters.video_ids
      .map((id) => state.published.find('tiktok', id, now))
      .filter((item): item is PublishedItem => item !== undefined && item.username === username && !item.draft)
      .map((item) => {
        const all = videoFields(item, username);
        return Object.fromEntries(fields.map((field) => [field, all[field]]));
      });
    return reply.send({ data: { videos, cursor: 0, has_more: false }, error: { code: 'ok', message: '', log_id: tiktokLogId(now) } });
  });
}
