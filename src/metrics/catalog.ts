import { POST_METRICS, type PostMetric } from '../platforms/metrics.ts';

/** What the metrics routes can report (docs/reference/metrics.md). */
export const METRICS = [...POST_METRICS, 'followers', 'follower_delta', 'posts_published', 'engagement_rate'] as const;
export type Metric = (typeof METRICS)[number];

export const METRICS_SCOPES = ['platform_post', 'social_account', 'project'] as const;
export type MetricsScope = (typeof METRICS_SCOPES)[number];

/** A post has its own counters and their rate; followers and publishing counts belong to accounts. */
const POST_SCOPE_METRICS: readonly Metric[] = [...POST_METRICS, 'engagement_rate'];

export function metricsOfScope(scope: MetricsScope): readonly Metric[] {
  return scope === 'platform_post' ? POST_SCOPE_METRICS : METRICS;
}

/** The counters whose sum is engagement (docs/reference/metrics.md, "engagement_rate"). */
const ENGAGEMENT: readonly PostMetric[] = ['likes', 'comments', 'shares', 'saves'];

/** (likes + comments + shares + saves) / views; null when views is 0 or unknown, or no engagement counter was measured. */
export function engagementRate(values: Partial<Record<PostMetric, number | null>>): number | null {
  const views = values.views ?? null;
  const engaged = ENGAGEMENT.map((metric) => values[metric] ?? null).filter((value): value is number => value !== null);
  if (views === null || views === 0 || engaged.length === 0) return null;
  return engaged.reduce((sum, value) => sum + value, 0) / views;
}
