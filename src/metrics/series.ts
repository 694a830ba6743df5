import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Principal } from '../api-keys/authenticate.ts';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { notFound, validationFailed } from '../errors.ts';
import { parsePathId, type UuidPrefix } from '../ids.ts';
import { POST_METRICS, type PostMetric } from '../platforms/metrics.ts';
import { getProject } from '../projects/projects.ts';
import { engagementRate, metricsOfScope, type Metric, type MetricsScope } from './catalog.ts';
import { HOUR_MS, storedCount } from './hours.ts';
import type { Granularity, MetricsQuery, MetricsView } from './schemas.ts';
import { SYNCED_POST_AGE_MS } from './sync.ts';

const DAY_MS = 24 * HOUR_MS;
const DEFAULT_WINDOW_MS = 30 * DAY_MS;
const MAX_WINDOW_MS = 366 * DAY_MS;
const MAX_HOURLY_WINDOW_MS = 31 * DAY_MS;
const BUCKET_HOURS: Record<Granularity, number> = { hour: 1, day: 24, week: 168 };
/** Hour 0 was a Thursday: weeks, which start on Mondays, are counted from hour 96 (1970-01-05). */
const WEEK_ORIGIN_HOURS = 96;
const ID_PREFIX: Record<MetricsScope, UuidPrefix> = { platform_post: 'sp', social_account: 'sa', project: 'prj' };

type Values = Record<Metric, number | null>;
type Counts = Record<PostMetric, number | null>;

/** What a scope's id stands for: the accounts whose hours count (an `in (…)` list), and (for a post) its own series. */
interface Subject {
  accounts: RawBuilder<unknown>;
  /** A post: when it was published and when it was first measured (null: never). */
  post: { id: string; publishedAt: number; firstMeasuredAt: number | null } | null;
  /** Which published posts `posts_published` counts. */
  publishedFilter: RawBuilder<unknown>;
}

/**
 * A series of buckets and their totals (docs/reference/metrics.md). Buckets are UTC hours, days or
 * weeks (Monday first); the window is widened to whole buckets. A bucket's counter is what the
 * counter gained in it, null when nothing was measured in it (the account was not synced: it needed
 * reauth, or did not exist yet); followers is the count at the bucket's last sync.
 */
export async function readMetrics(db: Kysely<Database>, clock: Clock, principal: Principal, projectId: string, query: MetricsQuery): Promise<MetricsView> {
  const allowed = metricsOfScope(query.scope);
  const requested = query.metrics ?? [...allowed];
  const foreign = requested.filter((metric) => !allowed.includes(metric));
  if (foreign.length > 0) {
    throw validationFailed([{ path: 'metrics', code: 'not_in_scope', message: `A ${query.scope} has no ${foreign.join(', ')}; it has ${allowed.join(', ')}.` }]);
  }
  const id = parsePathId(query.id, ID_PREFIX[query.scope]);
  if (!id) throw validationFailed([{ path: 'id', code: 'invalid_id', message: `Expected ${ID_PREFIX[query.scope]}_<uuid> or a bare UUID for scope ${query.scope}.` }]);
  const window = bucketWindow(clock, query);

  const project = await getProject(db, principal.organizationId, projectId);
  const subject = await findSubject(db, project.id, query.scope, id);
  const buckets = Array.from({ length: (window.untilHour - window.sinceHour) / window.bucketHours }, (_, index) => {
    const startHour = window.sinceHour + index * window.bucketHours;
    return { start: startHour * HOUR_MS, end: (startHour + window.bucketHours) * HOUR_MS };
  });
  const accountBuckets = await accountBucketValues(db, subject.accounts, window, buckets.length);
  const postBuckets = subject.post ? await postBucketValues(db, subject.post.id, window, buckets.length) : null;
  const published = requested.includes('posts_published') ? await publishedPerBucket(db, subject.publishedFilter, window, buckets.length) : null;

  const full = buckets.map((bucket, index): Values => {
    const measured = accountBuckets[index] as AccountBucket;
    let counts: Counts = measured.counts;
    if (subject.post && postBuckets) {
      const { publishedAt, firstMeasuredAt } = subject.post;
      // A post is measured from the bucket of its first reading until it is no longer synced.
      const live = firstMeasuredAt !== null && bucket.end > firstMeasuredAt && bucket.start < publishedAt + SYNCED_POST_AGE_MS;
      const moved = postBuckets[index] as Counts;
      counts = Object.fromEntries(POST_METRICS.map((metric) => [metric, live && measured.counts[metric] !== null ? (moved[metric] ?? 0) : null])) as Counts;
    }
    return {
      ...counts,
      followers: measured.followers,
      follower_delta: measured.followerDelta,
      posts_published: published ? (published[index] as number) : null,
      engagement_rate: engagementRate(counts),
    };
  });
  return {
    scope: query.scope,
    id,
    granularity: query.granularity,
    since: new Date(window.sinceHour * HOUR_MS).toISOString(),
    until: new Date(window.untilHour * HOUR_MS).toISOString(),
    series: buckets.map((bucket, index) => ({
      start: new Date(bucket.start).toISOString(),
      end: new Date(bucket.end).toISOString(),
      values: pick(full[index] as Values, requested),
    })),
    totals: pick(totalsOf(full), requested),
  };
}

interface BucketWindow {
  sinceHour: number;
  untilHour: number;
  bucketHours: number;
}

/** The window checked as asked (422s), then widened to whole buckets. */
function bucketWindow(clock: Clock, query: MetricsQuery): BucketWindow {
  const until = query.until ? Date.parse(query.until) : clock.now().getTime();
  const since = query.since ? Date.parse(query.since) : until - DEFAULT_WINDOW_MS;
  if (since >= until) throw validationFailed([{ path: 'since', code: 'too_big', message: 'since must be before until.' }]);
  if (until - since > MAX_WINDOW_MS) throw validationFailed([{ path: 'until', code: 'too_big', message: 'The window may span at most 366 days.' }]);
  if (query.granularity === 'hour' && until - since > MAX_HOURLY_WINDOW_MS) {
    throw validationFailed([{ path: 'granularity', code: 'too_big', message: 'An hourly series may span at most 31 days; ask for days or weeks.' }]);
  }
  const bucketHours = BUCKET_HOURS[query.granularity];
  const origin = query.granularity === 'week' ? WEEK_ORIGIN_HOURS : 0;
  const sinceHour = origin + Math.floor((Math.floor(since / HOUR_MS) - origin) / bucketHours) * bucketHours;
  const untilHour = origin + Math.ceil((Math.ceil(until / HOUR_MS) - origin) / bucketHours) * bucketHours;
  return { sinceHour, untilHour, bucketHours };
}

async function findSubject(db: Kysely<Database>, projectId: string, scope: MetricsScope, id: string): Promise<Subject> {
  if (scope === 'project') {
    if (id !== projectId) throw notFound(`Project ${id}`);
    return {
      accounts: sql`select id from social_accounts where project_id = ${projectId}`,
      post: null,
      publishedFilter: sql`project_id = ${projectId}`,
    };
  }
  if (scope === 'social_account') {
    // Disconnected accounts keep their history readable.
    const account = await db.selectFrom('social_accounts').select('id').where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
    if (!account) throw notFound(`Social account ${id}`);
    return { accounts: sql.join([id]), post: null, publishedFilter: sql`social_account_id = ${id}` };
  }
  const post = await db
    .selectFrom('scheduled_posts')
    .leftJoin('metric_posts', 'metric_posts.scheduled_post_id', 'scheduled_posts.id')
    .select(['scheduled_posts.social_account_id', 'scheduled_posts.published_at', 'metric_posts.first_hour'])
    .where('scheduled_posts.id', '=', id)
    .where('scheduled_posts.project_id', '=', projectId)
    .where('scheduled_posts.status', '=', 'published')
    .executeTakeFirst();
  if (!post?.published_at) throw notFound(`Published post ${id}`);
  const firstMeasuredAt = post.first_hour === null ? null : Number(post.first_hour) * HOUR_MS;
  return { accounts: sql.join([post.social_account_id]), post: { id, publishedAt: Date.parse(post.published_at), firstMeasuredAt }, publishedFilter: sql`id = ${id}` };
}

interface AccountBucket {
  counts: Counts;
  followers: number | null;
  followerDelta: number | null;
}

function addNullable(left: number | null, right: number | null): number | null {
  return right === null ? left : (left ?? 0) + right;
}

// Integer division on both engines (SQLite binds JavaScript numbers as reals).
const bucketOf = (window: BucketWindow) => sql<number>`(hour - cast(${window.sinceHour} as integer)) / cast(${window.bucketHours} as integer)`;

/**
 * The accounts' synced hours summed per bucket (per account first: followers is each account's
 * count at its last sync of the bucket, then summed).
 */
async function accountBucketValues(db: Kysely<Database>, accounts: RawBuilder<unknown>, window: BucketWindow, count: number): Promise<AccountBucket[]> {
  const { rows } = await sql<Record<string, unknown>>`
    select grouped.*, last.followers as followers
    from (
      select social_account_id, ${bucketOf(window)} as bucket,
        sum(views) as views, sum(reach) as reach, sum(likes) as likes, sum(comments) as comments, sum(shares) as shares, sum(saves) as saves,
        sum(follower_delta) as follower_delta,
        max(case when followers is not null then hour end) as followers_hour
      from metric_account_hours
      where social_account_id in (${accounts}) and hour >= ${window.sinceHour} and hour < ${window.untilHour}
      group by 1, 2
    ) grouped
    left join metric_account_hours last on last.social_account_id = grouped.social_account_id and last.hour = grouped.followers_hour
  `.execute(db);
  const buckets: AccountBucket[] = Array.from({ length: count }, () => ({
    counts: Object.fromEntries(POST_METRICS.map((metric) => [metric, null])) as Counts,
    followers: null,
    followerDelta: null,
  }));
  for (const row of rows) {
    const bucket = buckets[Number(row['bucket'])] as AccountBucket;
    for (const metric of POST_METRICS) bucket.counts[metric] = addNullable(bucket.counts[metric], storedCount(row[metric]));
    bucket.followers = addNullable(bucket.followers, storedCount(row['followers']));
    bucket.followerDelta = addNullable(bucket.followerDelta, storedCount(row['follower_delta']));
  }
  return buckets;
}

/** One post's moved counters per bucket (a bucket without a row moved nothing). */
async function postBucketValues(db: Kysely<Database>, postId: string, window: BucketWindow, count: number): Promise<Counts[]> {
  const { rows } = await sql<Record<string, unknown>>`
    select ${bucketOf(window)} as bucket,
      sum(views) as views, sum(reach) as reach, sum(likes) as likes, sum(comments) as comments, sum(shares) as shares, sum(saves) as saves
    from metric_post_hours
    where series = (select series from metric_posts where scheduled_post_id = ${postId}) and hour >= ${window.sinceHour} and hour < ${window.untilHour}
    group by 1
  `.execute(db);
  const buckets = Array.from({ length: count }, () => Object.fromEntries(POST_METRICS.map((metric) => [metric, null])) as Counts);
  for (const row of rows) buckets[Number(row['bucket'])] = Object.fromEntries(POST_METRICS.map((metric) => [metric, storedCount(row[metric])])) as Counts;
  return buckets;
}

/** Posts published per bucket, from the posts themselves (always known: never null). */
async function publishedPerBucket(db: Kysely<Database>, filter: RawBuilder<unknown>, window: BucketWindow, count: number): Promise<number[]> {
  const since = new Date(window.sinceHour * HOUR_MS).toISOString();
  const until = new Date(window.untilHour * HOUR_MS).toISOString();
  const { rows } = await sql<{ published_at: string }>`
    select published_at from scheduled_posts where ${filter} and status = 'published' and published_at >= ${since} and published_at < ${until}
  `.execute(db);
  const counts = new Array<number>(count).fill(0);
  const bucketMs = window.bucketHours * HOUR_MS;
  for (const row of rows) counts[Math.floor((Date.parse(row.published_at) - window.sinceHour * HOUR_MS) / bucketMs)]! += 1;
  return counts;
}

/** Counters add up over the buckets; followers is the last count measured; the rate is recomputed from the totals. */
function totalsOf(series: Values[]): Values {
  const totals = {} as Values;
  for (const metric of [...POST_METRICS, 'follower_delta', 'posts_published'] as const) {
    totals[metric] = series.reduce<number | null>((sum, values) => addNullable(sum, values[metric]), null);
  }
  totals.followers = series.findLast((values) => values.followers !== null)?.followers ?? null;
  totals.engagement_rate = engagementRate(totals);
  return totals;
}

function pick(values: Values, metrics: readonly Metric[]): Record<string, number | null> {
  return Object.fromEntries(metrics.map((metric) => [metric, values[metric]]));
}
