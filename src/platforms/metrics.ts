import type { PlatformHttp } from './http-client.ts';
import type { TokenSet } from './tokens.ts';

/** Counters a platform may keep on a post; which ones it keeps is its module's `postMetrics`. */
export const POST_METRICS = ['views', 'reach', 'likes', 'comments', 'shares', 'saves'] as const;
export type PostMetric = (typeof POST_METRICS)[number];

/** A post's cumulative counters as read now; a metric absent was not measured (never read as 0). */
export type PostCounters = Partial<Record<PostMetric, number>>;

export interface MetricsAccount {
  platformUserId: string;
  handle: string;
}

/**
 * What a platform measures and how to read it (docs/platforms/<id>.md, "Metrics"). Readers return
 * cumulative counters, as the platform keeps them; the sync stores snapshots and derives series.
 * Failures throw classified PlatformErrors like any other call. A reader never asks for what the
 * grant does not cover (that would read as a credential failure): it leaves those metrics out.
 */
export interface PlatformMetrics {
  /** Counters this platform reports per post. */
  readonly postMetrics: readonly PostMetric[];
  /** Whether it reports the account's follower count. */
  readonly followers: boolean;
  /** Post ids one `readPosts` call takes at most; the sync batches by it. */
  readonly maxPostsPerRead: number;
  /**
   * The counters of the account's posts, by the external id publishing returned. A post absent from
   * the answer was not found (deleted, no longer visible); one present with fewer metrics than
   * `postMetrics` could not be measured with this grant.
   */
  readPosts(http: PlatformHttp, tokens: TokenSet, account: MetricsAccount, externalIds: readonly string[]): Promise<Map<string, PostCounters>>;
  /** The account's follower count; null when this grant cannot read it. */
  readFollowers(http: PlatformHttp, tokens: TokenSet, account: MetricsAccount): Promise<number | null>;
}
