import type { Kysely } from 'kysely';
import type { Principal } from '../api-keys/authenticate.ts';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { POST_METRICS } from '../platforms/metrics.ts';
import { getProject } from '../projects/projects.ts';
import { engagementRate } from './catalog.ts';
import { HOUR_MS, storedCount } from './hours.ts';
import { WINDOWS, type TopPerformersQuery, type TopPerformersView } from './schemas.ts';

/**
 * A project's posts published in the window, ranked by their lifetime counters as last synced
 * (docs/reference/metrics.md, "Top performers"). A post never measured, or whose value is unknown
 * (no views yet for a rate), has nothing to rank by and is left out.
 */
export async function topPerformers(db: Kysely<Database>, clock: Clock, principal: Principal, projectId: string, query: TopPerformersQuery): Promise<TopPerformersView> {
  const project = await getProject(db, principal.organizationId, projectId);
  const since = new Date(clock.now().getTime() - WINDOWS[query.window] * 24 * HOUR_MS).toISOString();
  let select = db
    .selectFrom('scheduled_posts')
    .innerJoin('metric_posts', 'metric_posts.scheduled_post_id', 'scheduled_posts.id')
    .select(['scheduled_posts.id', 'container_id', 'scheduled_posts.social_account_id', 'platform', 'external_url', 'published_at', ...POST_METRICS])
    .where('project_id', '=', project.id)
    .where('status', '=', 'published')
    .where('published_at', '>=', since);
  if (query.platform) select = select.where('platform', 'in', query.platform);
  const ranked = (await select.execute()).flatMap((row) => {
    const counts = Object.fromEntries(POST_METRICS.map((metric) => [metric, storedCount(row[metric])]));
    const value = query.metric === 'views' ? counts['views'] : engagementRate(counts);
    if (value === null || value === undefined || row.published_at === null) return [];
    return [
      {
        scheduledPostId: row.id,
        containerId: row.container_id,
        socialAccountId: row.social_account_id,
        platform: row.platform,
        externalUrl: row.external_url,
        publishedAt: row.published_at,
        value,
      },
    ];
  });
  // Highest first; among equals, the newer post, then the id, so pages of equal values are stable.
  ranked.sort((a, b) => b.value - a.value || b.publishedAt.localeCompare(a.publishedAt) || a.scheduledPostId.localeCompare(b.scheduledPostId));
  return { items: ranked.slice(0, query.limit) };
}
