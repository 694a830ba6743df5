import { z } from 'zod';
import type { PlatformHttp } from '../http-client.ts';
import type { PlatformMetrics, PostCounters } from '../metrics.ts';
import type { TokenSet } from '../tokens.ts';

/**
 * TikTok's counters (docs/platforms/tiktok.md, "Metrics"): `POST /v2/video/query/` (scope
 * `video.list`) reads up to 20 of the creator's videos a call; `GET /v2/user/info/` gives
 * `follower_count` with `user.info.stats`. TikTok reports no reach and no saves to apps.
 */

const VIDEOS_PER_QUERY = 20;
const VIDEO_FIELDS = 'id,view_count,like_count,comment_count,share_count';
const VIDEO_LIST_SCOPE = 'video.list';
const STATS_SCOPE = 'user.info.stats';
/** Video ids are int64s; a post whose public id never came is known by its publish_id, which video/query cannot read. */
const VIDEO_ID = /^\d+$/;

const videoQuerySchema = z.object({
  data: z.object({
    videos: z.array(
      z.object({
        id: z.union([z.string(), z.number()]),
        view_count: z.number().optional(),
        like_count: z.number().optional(),
        comment_count: z.number().optional(),
        share_count: z.number().optional(),
      }),
    ),
  }),
});
const followersSchema = z.object({ data: z.object({ user: z.object({ follower_count: z.number() }) }) });

function counters(video: z.infer<typeof videoQuerySchema>['data']['videos'][number]): PostCounters {
  const read: PostCounters = {};
  if (video.view_count !== undefined) read.views = video.view_count;
  if (video.like_count !== undefined) read.likes = video.like_count;
  if (video.comment_count !== undefined) read.comments = video.comment_count;
  if (video.share_count !== undefined) read.shares = video.share_count;
  return read;
}

async function readPosts(http: PlatformHttp, tokens: TokenSet, _account: unknown, externalIds: readonly string[]): Promise<Map<string, PostCounters>> {
  const read = new Map<string, PostCounters>();
  const queryable = externalIds.filter((id) => VIDEO_ID.test(id));
  // Nothing measurable: no scope to read videos, or only publish_ids.
  for (const id of externalIds) if (!VIDEO_ID.test(id) || !tokens.grantedScopes.includes(VIDEO_LIST_SCOPE)) read.set(id, {});
  if (!tokens.grantedScopes.includes(VIDEO_LIST_SCOPE)) return read;
  for (let start = 0; start < queryable.length; start += VIDEOS_PER_QUERY) {
    const request = {
      operation: 'video query',
      method: 'POST',
      url: http.url('apiBaseUrl', '/v2/video/query/'),
      query: { fields: VIDEO_FIELDS },
      json: { filters: { video_ids: queryable.slice(start, start + VIDEOS_PER_QUERY) } },
      bearerToken: tokens.accessToken,
      secrets: [tokens.accessToken],
    } as const;
    const response = await http.call(request);
    for (const video of http.parse(videoQuerySchema, response, request).data.videos) read.set(String(video.id), counters(video));
  }
  return read;
}

async function readFollowers(http: PlatformHttp, tokens: TokenSet): Promise<number | null> {
  if (!tokens.grantedScopes.includes(STATS_SCOPE)) return null;
  const request = {
    operation: 'user stats',
    method: 'GET',
    url: http.url('apiBaseUrl', '/v2/user/info/'),
    query: { fields: 'follower_count' },
    bearerToken: tokens.accessToken,
    secrets: [tokens.accessToken],
  } as const;
  return http.parse(followersSchema, await http.call(request), request).data.user.follower_count;
}

export const tiktokMetrics: PlatformMetrics = {
  postMetrics: ['views', 'likes', 'comments', 'shares'],
  followers: true,
  maxPostsPerRead: VIDEOS_PER_QUERY,
  readPosts,
  readFollowers,
};
