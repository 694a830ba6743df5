import { z } from 'zod';
import { PlatformError } from '../errors.ts';
import type { PlatformHttp } from '../http-client.ts';
import type { MetricsAccount, PlatformMetrics, PostCounters, PostMetric } from '../metrics.ts';
import type { TokenSet } from '../tokens.ts';

/**
 * Instagram's counters (docs/platforms/instagram.md, "Metrics"): media insights (`GET
 * /{media-id}/insights`, scope `instagram_business_manage_insights`), one call per post since
 * graph.instagram.com has no batch read; without that scope, the media's own `like_count` and
 * `comments_count`. Followers: `followers_count` on `/me`.
 */

const INSIGHTS_SCOPE = 'instagram_business_manage_insights';
/** Instagram's insight names for the server's metrics (`saved` is saves). */
const INSIGHTS: ReadonlyArray<[string, PostMetric]> = [
  ['views', 'views'],
  ['reach', 'reach'],
  ['likes', 'likes'],
  ['comments', 'comments'],
  ['shares', 'shares'],
  ['saved', 'saves'],
];
const POSTS_PER_READ = 25;

const insightsSchema = z.object({
  data: z.array(z.object({ name: z.string(), values: z.array(z.object({ value: z.number() })).optional(), total_value: z.object({ value: z.number() }).optional() })),
});
const mediaCountsSchema = z.object({ like_count: z.number().optional(), comments_count: z.number().optional() });
const followersSchema = z.object({ followers_count: z.number() });

function graphRead(http: PlatformHttp, tokens: TokenSet, operation: string, path: string, query: Record<string, string>) {
  return { operation, method: 'GET', url: http.url('graphBaseUrl', path), query, bearerToken: tokens.accessToken, secrets: [tokens.accessToken] } as const;
}

async function readPost(http: PlatformHttp, tokens: TokenSet, mediaId: string): Promise<PostCounters> {
  const read: PostCounters = {};
  if (tokens.grantedScopes.includes(INSIGHTS_SCOPE)) {
    const request = graphRead(http, tokens, 'media insights', `/${mediaId}/insights`, { metric: INSIGHTS.map(([name]) => name).join(',') });
    // An insight Instagram has no data for yet is left out of its answer: not measured, not 0.
    for (const insight of http.parse(insightsSchema, await http.call(request), request).data) {
      const metric = INSIGHTS.find(([name]) => name === insight.name)?.[1];
      const value = insight.total_value?.value ?? insight.values?.at(-1)?.value;
      if (metric !== undefined && value !== undefined) read[metric] = value;
    }
    return read;
  }
  const request = graphRead(http, tokens, 'media counts', `/${mediaId}`, { fields: 'like_count,comments_count' });
  const counts = http.parse(mediaCountsSchema, await http.call(request), request);
  if (counts.like_count !== undefined) read.likes = counts.like_count;
  if (counts.comments_count !== undefined) read.comments = counts.comments_count;
  return read;
}

async function readPosts(http: PlatformHttp, tokens: TokenSet, _account: MetricsAccount, externalIds: readonly string[]): Promise<Map<string, PostCounters>> {
  const read = new Map<string, PostCounters>();
  for (const id of externalIds) {
    try {
      read.set(id, await readPost(http, tokens, id));
    } catch (error) {
      // A deleted post (an object Graph no longer finds) is just absent; anything else is the call's failure.
      if (error instanceof PlatformError && error.kind === 'other' && error.platformCode === '100/33') continue;
      throw error;
    }
  }
  return read;
}

async function readFollowers(http: PlatformHttp, tokens: TokenSet): Promise<number> {
  const request = graphRead(http, tokens, 'followers', '/me', { fields: 'followers_count' });
  return http.parse(followersSchema, await http.call(request), request).followers_count;
}

export const instagramMetrics: PlatformMetrics = {
  postMetrics: ['views', 'reach', 'likes', 'comments', 'shares', 'saves'],
  followers: true,
  maxPostsPerRead: POSTS_PER_READ,
  readPosts,
  readFollowers,
};
