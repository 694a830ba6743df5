import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Principal } from '../src/api-keys/authenticate.ts';
import { openDatabase, type DatabaseHandle, type Engine } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { Database } from '../src/db/schema.ts';
import { HOUR_MS } from '../src/metrics/hours.ts';
import type { MetricsQuery } from '../src/metrics/schemas.ts';
import { readMetrics } from '../src/metrics/series.ts';
import { topPerformers } from '../src/metrics/top-performers.ts';
import { createOrganization } from '../src/organizations/organizations.ts';
import { createProject } from '../src/projects/projects.ts';
import { createProjectBody } from '../src/projects/schemas.ts';
import { createScratchDatabase } from '../test/support/server-process.ts';

/**
 * `npm run bench:metrics-storage [-- --engine=postgres|sqlite] [--activity=typical]`: the metrics
 * tables of one project with 10,000 published posts on 20 accounts, synced every 30 minutes for 90
 * days, seeded straight into the database. The sync stores at most one row per post per hour,
 * however often it runs, and none for an hour in which nothing moved; so by default the bench
 * seeds the worst case for storage: every post moves in every hour of the 90 days. With
 * `--activity=typical` posts are published evenly over the 90 days and move every hour of their
 * first 2 days, every 6th hour until day 14, then once a day. Prints the bytes each table and its indexes take,
 * then times the reads over it: the 90-day daily `project` series (the figure), an hourly
 * 31-day account series, a 90-day post series, and 90-day top performers. docs/design/metrics-storage.md
 * records the results.
 */

const POSTS = 10_000;
const ACCOUNTS = 20;
const DAYS = 90;
const HOURS = DAYS * 24;
const RUNS = 7;
const PG_ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NOW = new Date('2026-11-24T12:00:00.000Z');
const clock = { now: () => NOW };
const POST_CHUNK = 500;
const ACTIVITY = process.argv.includes('--activity=typical') ? 'typical' : 'worst';

async function seed(db: Kysely<Database>): Promise<{ projectId: string; principal: Principal; postId: string; accountId: string }> {
  const org = await createOrganization(db, clock, 'Bench org');
  const project = await createProject(db, clock, org.id, createProjectBody.parse({ name: 'Bench project', timezone: 'UTC' }));
  const at = NOW.toISOString();
  const accounts = Array.from({ length: ACCOUNTS }, () => `sa_${randomUUID()}`);
  await db
    .insertInto('social_accounts')
    .values(
      accounts.map((id, index) => ({
        id, organization_id: org.id, project_id: project.id, platform: 'tiktok' as const, sandbox: 1, platform_user_id: `u${index}`, handle: `bench${index}`,
        display_name: null, avatar_media_id: null, status: 'connected' as const, leased: 0, granted_scopes: '[]', vault_entry_id: null, connected_at: at,
        access_token_expires_at: null, refresh_token_expires_at: null, last_refreshed_at: null, next_refresh_at: null, consecutive_failures: 0,
        last_error_code: null, last_error_message: null, last_error_at: null, reauth_required_at: null, reauth_reason: null, disconnected_at: null,
        disconnected_reason: null, refresh_lease_until: null, created_at: at, updated_at: at,
      })),
    )
    .execute();
  const firstHour = Math.floor(NOW.getTime() / HOUR_MS) - HOURS;
  const postIds: string[] = [];
  for (let start = 0; start < POSTS; start += POST_CHUNK) {
    const chunk = Array.from({ length: POST_CHUNK }, (_, offset) => start + offset);
    const rows = chunk.map((index) => {
      const publishedAt = new Date((firstHour + (index * HOURS) / POSTS) * HOUR_MS).toISOString();
      const id = `sp_${randomUUID()}`;
      postIds.push(id);
      return {
        id, organization_id: org.id, project_id: project.id, container_id: `cnt_${randomUUID()}`, social_account_id: accounts[index % ACCOUNTS] as string,
        platform: 'tiktok' as const, mode: 'publish' as const, status: 'published' as const, scheduled_for: publishedAt, caption: 'bench', first_comment: null,
        settings: '{}', external_id: String(7_000_000_000_000_000_000 + index), external_url: null, attempts: 1, next_attempt_at: null, attempted_at: publishedAt,
        published_at: publishedAt, canceled_at: null, cancel_reason: null, hold_since: null, hold_until: null, last_error_code: null, last_error_message: null,
        last_error_platform_code: null, last_error_at: null, publish_state: null, publish_warning: null, locked_until: null, behind_publishing: 0, created_at: publishedAt, updated_at: publishedAt,
      };
    });
    await db.insertInto('scheduled_posts').values(rows).execute();
    await db
      .insertInto('metric_posts')
      .values(rows.map((row, offset) => ({ series: start + offset + 1, scheduled_post_id: row.id, first_hour: firstHour, views: 10 * HOURS, reach: null, likes: HOURS, comments: HOURS, shares: HOURS, saves: null })))
      .execute();
  }
  const hours = (from: number) => sql`with recursive hours(hour) as (select cast(${from} as integer) union all select hour + 1 from hours where hour < cast(${firstHour + HOURS - 1} as integer))`;
  await sql`${hours(firstHour)}
    insert into metric_account_hours (social_account_id, hour, followers, follower_delta, views, reach, likes, comments, shares, saves)
    select social_accounts.id, hours.hour, 1000 + hours.hour - ${firstHour}, 1, 5000, null, 500, 500, 500, null from social_accounts, hours`.execute(db);
  // Worst case: every post moves in every hour of the 90 days (also before it was published: a bound, not a likelihood).
  const age = sql`(hours.hour - cast(${firstHour} as integer) - (metric_posts.series - 1) * cast(${HOURS} as integer) / cast(${POSTS} as integer))`;
  const moves = ACTIVITY === 'worst' ? sql`1 = 1` : sql`${age} >= 0 and (${age} < 48 or (${age} < 336 and ${age} % 6 = 0) or ${age} % 24 = 0)`;
  for (let series = 1; series <= POSTS; series += 1000) {
    await sql`${hours(firstHour)}
      insert into metric_post_hours (series, hour, views, reach, likes, comments, shares, saves)
      select metric_posts.series, hours.hour, 10, null, 1, 1, 1, null from metric_posts, hours
      where metric_posts.series >= ${series} and metric_posts.series < ${series + 1000} and ${moves}`.execute(db);
    process.stdout.write(`\r  seeded ${Math.min(series + 999, POSTS)} / ${POSTS} posts × ${HOURS} hours`);
  }
  process.stdout.write('\n');
  return {
    projectId: project.id,
    principal: { organizationId: org.id } as Principal,
    postId: postIds[POSTS - 1] as string,
    accountId: accounts[0] as string,
  };
}

async function sizes(handle: DatabaseHandle, file: string | null): Promise<Array<[string, number]>> {
  const tables = ['metric_post_hours', 'metric_account_hours', 'metric_posts', 'metric_accounts'];
  if (handle.engine === 'postgres') {
    await sql`vacuum analyze`.execute(handle.db);
    const rows: Array<[string, number]> = [];
    for (const table of tables) {
      const { rows: [size] } = await sql<{ bytes: string }>`select pg_total_relation_size(${table}) as bytes`.execute(handle.db);
      rows.push([table, Number(size?.bytes)]);
    }
    return rows;
  }
  await sql`vacuum`.execute(handle.db);
  const { rows } = await sql<{ name: string; bytes: number }>`select name, sum(pgsize) as bytes from dbstat group by name`.execute(handle.db).catch(() => ({ rows: [] as Array<{ name: string; bytes: number }> }));
  const byName = new Map(rows.map((row) => [row.name, Number(row.bytes)]));
  const of = (table: string) => [...byName].filter(([name]) => name === table || name.startsWith(`sqlite_autoindex_${table}_`)).reduce((sum, [, bytes]) => sum + bytes, 0);
  return [...tables.map((table): [string, number] => [table, of(table)]), ['(whole file)', file ? statSync(file).size : 0]];
}

async function time(label: string, run: () => Promise<unknown>): Promise<void> {
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    runs.push(performance.now() - started);
  }
  const sorted = [...runs].sort((a, b) => a - b);
  console.log(`  ${label.padEnd(52)} first ${runs[0]?.toFixed(1)} ms, median ${sorted[Math.floor(RUNS / 2)]?.toFixed(1)} ms`);
}

async function bench(engine: Engine): Promise<void> {
  const dir = engine === 'sqlite' ? mkdtempSync(path.join(os.tmpdir(), 'layers-bench-metrics-')) : null;
  const scratch = engine === 'postgres' ? await createScratchDatabase(PG_ADMIN_URL, 'layers_bench_metrics') : null;
  const file = dir ? path.join(dir, 'layers.db') : null;
  const handle = openDatabase(file ? `sqlite:${file}` : (scratch?.url as string));
  try {
    console.log(`${engine}: ${POSTS} posts on ${ACCOUNTS} accounts, ${DAYS} days of hourly rows, ${ACTIVITY} activity`);
    await migrateToLatest(handle);
    const seeded = await seed(handle.db);
    const { rows: [counted] } = await sql<{ n: string | number }>`select count(*) as n from metric_post_hours`.execute(handle.db);
    console.log(`  ${Number(counted?.n)} post-hour rows`);
    const measured = await sizes(handle, file);
    for (const [table, bytes] of measured) console.log(`  ${table.padEnd(22)} ${(bytes / 1024 / 1024).toFixed(1).padStart(8)} MiB`);
    const total = measured.filter(([table]) => table.startsWith('metric_')).reduce((sum, [, bytes]) => sum + bytes, 0);
    console.log(`  ${'metric tables'.padEnd(22)} ${(total / 1024 / 1024).toFixed(1).padStart(8)} MiB (${(total / Number(counted?.n)).toFixed(1)} bytes per post-hour row)`);

    const since = new Date(NOW.getTime() - DAYS * 24 * HOUR_MS).toISOString();
    const query = (scope: MetricsQuery['scope'], id: string, granularity: MetricsQuery['granularity'], from = since): MetricsQuery => ({ scope, id, granularity, since: from, until: NOW.toISOString() });
    await time('project, 90 days by the day (all metrics)', () => readMetrics(handle.db, clock, seeded.principal, seeded.projectId, query('project', seeded.projectId, 'day')));
    await time('social_account, 31 days by the hour', () =>
      readMetrics(handle.db, clock, seeded.principal, seeded.projectId, query('social_account', seeded.accountId, 'hour', new Date(NOW.getTime() - 31 * 24 * HOUR_MS).toISOString())),
    );
    await time('platform_post, 90 days by the day', () => readMetrics(handle.db, clock, seeded.principal, seeded.projectId, query('platform_post', seeded.postId, 'day')));
    await time('top performers by engagement_rate, 90 days', () => topPerformers(handle.db, clock, seeded.principal, seeded.projectId, { metric: 'engagement_rate', window: '90d', limit: 10 }));
  } finally {
    await handle.destroy();
    await scratch?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

const only = process.argv.find((arg) => arg.startsWith('--engine='))?.slice('--engine='.length);
for (const engine of ['postgres', 'sqlite'] as const) if (!only || only === engine) await bench(engine);
