import { z } from 'zod';
import { instant } from '../posts/schemas.ts';
import { PLATFORMS } from '../platforms/registry.ts';
import { METRICS, METRICS_SCOPES } from './catalog.ts';

export const GRANULARITIES = ['hour', 'day', 'week'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** A query parameter that may be repeated (`metrics=views&metrics=likes`): one value or several. */
function repeatable<T extends z.ZodType>(value: T) {
  return z.union([value, z.array(value)]).transform((given) => [given].flat() as Array<z.output<T>>);
}

export const metricsQuery = z.strictObject({
  scope: z.enum(METRICS_SCOPES),
  id: z.string().min(1).max(64).describe('The post (`sp_…`), social account (`sa_…`) or project (`prj_…`) measured.'),
  metrics: repeatable(z.enum(METRICS)).optional().describe('Default: every metric the scope has.'),
  since: instant.optional().describe('Inclusive; default now − 30 days. Rounded down to the start of its bucket.'),
  until: instant.optional().describe('Exclusive; default now. Rounded up to the end of its bucket.'),
  granularity: z.enum(GRANULARITIES).default('day').describe('UTC buckets; weeks start on Mondays.'),
});
export type MetricsQuery = z.output<typeof metricsQuery>;

const metricValues = z.record(z.string(), z.number().nullable()).describe('By metric; null: not measured (never 0 in disguise).');

export const metricsResponse = z
  .object({
    scope: z.enum(METRICS_SCOPES),
    id: z.string(),
    granularity: z.enum(GRANULARITIES),
    since: z.string(),
    until: z.string(),
    series: z.array(z.object({ start: z.string(), end: z.string(), values: metricValues })),
    totals: metricValues,
  })
  .meta({ id: 'MetricsSeries' });
export type MetricsView = z.output<typeof metricsResponse>;

export const TOP_PERFORMER_METRICS = ['views', 'engagement_rate'] as const;
export const WINDOWS = { '7d': 7, '30d': 30, '90d': 90 } as const;

export const topPerformersQuery = z.strictObject({
  metric: z.enum(TOP_PERFORMER_METRICS),
  window: z.enum(Object.keys(WINDOWS) as [keyof typeof WINDOWS, ...Array<keyof typeof WINDOWS>]).default('30d'),
  platform: repeatable(z.enum(PLATFORMS)).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});
export type TopPerformersQuery = z.output<typeof topPerformersQuery>;

export const topPerformersResponse = z
  .object({
    items: z.array(
      z.object({
        scheduledPostId: z.string(),
        containerId: z.string(),
        socialAccountId: z.string(),
        platform: z.enum(PLATFORMS),
        externalUrl: z.string().nullable(),
        publishedAt: z.string(),
        value: z.number(),
      }),
    ),
  })
  .meta({ id: 'TopPerformers' });
export type TopPerformersView = z.output<typeof topPerformersResponse>;
