import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { systemClock } from '../src/clock.ts';
import { openDatabase, type DatabaseHandle, type Engine } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { Database } from '../src/db/schema.ts';
import { createOrganization } from '../src/organizations/organizations.ts';
import { PLATFORMS } from '../src/platforms/registry.ts';
import { createProject } from '../src/projects/projects.ts';
import { createScratchDatabase } from '../test/support/server-process.ts';

/**
 * Rows written straight into the database for the benchmarks: one INSERT … SELECT over a number
 * series per table, so a million rows take seconds, not the hours the API would. Row `i` of a
 * seed gets id `<prefix>_<tag>-0000-4000-8000-<i, 12 digits>` and a time `i` steps after T0,
 * so newer rows have larger `i`. Every filter value the list routes take, except the
 * default one, is on ten rows only, among the oldest thousand: a project of a million holds as
 * many of them as a project of a thousand, and a filter no index serves has to walk the whole
 * project, newest first, to find them.
 */

export interface SeedScope {
  engine: Engine;
  organizationId: string;
  projectId: string;
  /** 8 hex digits that keep this seed's ids apart from every other seed's. */
  tag: string;
}

const PG_ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Runs `measure` on a database of its own, migrated, with one organization and one project to seed
 * into (a scratch Postgres database, or a SQLite file in a temporary folder that `measure` may use
 * too); drops both afterwards.
 */
export async function withSeedDatabase<T>(
  engine: Engine,
  name: string,
  tag: string,
  measure: (seeded: { handle: DatabaseHandle; scope: SeedScope; dir: string }) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `layers-bench-${name}-`));
  const scratch = engine === 'postgres' ? await createScratchDatabase(PG_ADMIN_URL, `layers_bench_${name}`) : null;
  const handle = openDatabase(scratch ? scratch.url : `sqlite:${path.join(dir, 'layers.db')}`);
  try {
    await migrateToLatest(handle);
    const organization = await createOrganization(handle.db, systemClock, 'Bench');
    const project = await createProject(handle.db, systemClock, organization.id, { name: 'Bench app', timezone: 'UTC', primaryLanguage: 'en' });
    return await measure({ handle, scope: { engine, organizationId: organization.id, projectId: project.id, tag }, dir });
  } finally {
    await handle.destroy();
    rmSync(dir, { recursive: true, force: true });
    await scratch?.drop();
  }
}

/**
 * Where seeded time starts (epoch seconds): 1,100,000 s (about 13 days) ago, so a million rows one
 * second apart are all younger than housekeeping's 30 days and none is purged while a bench runs.
 */
const T0 = Math.floor(Date.now() / 1000) - 1_100_000;

/** `select <columns> from` a series i = 1…count, as each engine writes it. */
function series(engine: Engine, count: number): string {
  return engine === 'sqlite'
    ? `with recursive seq(i) as (select 1 union all select i + 1 from seq where i < ${count}) select %COLUMNS% from seq`
    : `select %COLUMNS% from generate_series(1, ${count}) as seq(i)`;
}

function idOf(engine: Engine, prefix: string, tag: string): string {
  const digits = engine === 'sqlite' ? `printf('%012d', i)` : `lpad(i::text, 12, '0')`;
  return `'${prefix}_${tag}-0000-4000-8000-' || ${digits}`;
}

/** ISO-8601 with milliseconds, like Date#toISOString, `stepSeconds * i` after T0. */
function timeOf(engine: Engine, stepSeconds: number): string {
  return engine === 'sqlite'
    ? `strftime('%Y-%m-%dT%H:%M:%fZ', ${T0} + ${stepSeconds} * i, 'unixepoch')`
    : `to_char(to_timestamp(${T0} + ${stepSeconds} * i) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** `rare` on ten rows (i ≤ 1,000 with i % 100 = `slot`), `common` on the rest. */
function rareOr(slot: number, rare: string, common: string): string {
  return `case when ${isRare(slot)} then ${rare} else ${common} end`;
}

function isRare(slot: number): string {
  return `i <= 1000 and i % 100 = ${slot}`;
}

const text = (value: string) => `'${value.replace(/'/g, "''")}'`;

async function insertSeries(db: Kysely<Database>, engine: Engine, table: keyof Database, count: number, columns: Record<string, string>): Promise<void> {
  const names = Object.keys(columns).join(', ');
  const select = series(engine, count).replace('%COLUMNS%', Object.values(columns).join(', '));
  await sql.raw(`insert into ${table} (${names}) ${select}`).execute(db);
}

/** The time of row `i` of a seed (what `timeOf` wrote), for since/until filters. */
export function seededTime(i: number, stepSeconds = 1): string {
  return new Date((T0 + stepSeconds * i) * 1000).toISOString();
}

/** The rare values a filter picks out (ten rows each). */
export const RARE = {
  platform: PLATFORMS[1] ?? PLATFORMS[0],
  accountStatus: 'reauth_required',
  postStatus: 'failed',
  otherPostStatus: 'canceled',
  containerStatus: 'failed',
  deliveryStatus: 'failed',
  eventType: 'post.failed',
} as const;

/** The rare account and container every hundredth post belongs to. */
export function rareIds(scope: SeedScope) {
  return {
    socialAccountId: `sa_${scope.tag}-0000-4000-9000-000000000001`,
    containerId: `cnt_${scope.tag}-0000-4000-9000-000000000001`,
  };
}

export async function seedAccounts(db: Kysely<Database>, scope: SeedScope, count: number): Promise<void> {
  const { engine } = scope;
  const time = timeOf(engine, 1);
  await insertSeries(db, engine, 'social_accounts', count, {
    id: idOf(engine, 'sa', scope.tag),
    organization_id: text(scope.organizationId),
    project_id: text(scope.projectId),
    platform: rareOr(7, text(RARE.platform), text(PLATFORMS[0])),
    sandbox: '1',
    platform_user_id: `'user-' || i`,
    handle: `'creator_' || i`,
    display_name: `'Creator ' || i`,
    status: rareOr(3, text(RARE.accountStatus), `'connected'`),
    leased: rareOr(5, '1', '0'),
    granted_scopes: `'[]'`,
    connected_at: time,
    consecutive_failures: '0',
    created_at: time,
    updated_at: time,
  });
}

export async function seedContainers(db: Kysely<Database>, scope: SeedScope, count: number): Promise<void> {
  const { engine } = scope;
  const time = timeOf(engine, 1);
  await insertSeries(db, engine, 'content_containers', count, {
    id: idOf(engine, 'cnt', scope.tag),
    organization_id: text(scope.organizationId),
    project_id: text(scope.projectId),
    status: rareOr(3, text(RARE.containerStatus), `'completed'`),
    caption: `'Caption ' || i`,
    approval_status: `'not_required'`,
    created_at: time,
    updated_at: time,
  });
}

/** Posts one minute apart; the default ones on row 1's account and container (seed those first). */
export async function seedPosts(db: Kysely<Database>, scope: SeedScope, count: number): Promise<void> {
  const { engine } = scope;
  const time = timeOf(engine, 60);
  const rare = rareIds(scope);
  await insertSeries(db, engine, 'scheduled_posts', count, {
    id: idOf(engine, 'sp', scope.tag),
    organization_id: text(scope.organizationId),
    project_id: text(scope.projectId),
    container_id: rareOr(6, text(rare.containerId), text(`cnt_${scope.tag}-0000-4000-8000-000000000001`)),
    social_account_id: rareOr(5, text(rare.socialAccountId), text(`sa_${scope.tag}-0000-4000-8000-000000000001`)),
    platform: text(PLATFORMS[0]),
    mode: `'publish'`,
    status: `case when ${isRare(3)} then ${text(RARE.postStatus)} when ${isRare(4)} then ${text(RARE.otherPostStatus)} else 'published' end`,
    scheduled_for: time,
    caption: `'Caption ' || i`,
    settings: `'{}'`,
    attempts: '0',
    created_at: time,
    updated_at: time,
  });
}

/** Deliveries of one endpoint (which must exist); events are not needed to list them. */
export async function seedDeliveries(db: Kysely<Database>, scope: SeedScope, endpointId: string, count: number): Promise<void> {
  const { engine } = scope;
  const time = timeOf(engine, 1);
  await insertSeries(db, engine, 'webhook_deliveries', count, {
    id: idOf(engine, 'wd', scope.tag),
    organization_id: text(scope.organizationId),
    endpoint_id: text(endpointId),
    event_id: `'evt_' || i`,
    event_type: rareOr(4, text(RARE.eventType), `'post.published'`),
    status: rareOr(3, text(RARE.deliveryStatus), `'succeeded'`),
    attempts: '1',
    created_at: time,
    updated_at: time,
  });
}

/** The events seeded deliveries name (`evt_<i>`), each as old as its delivery. */
export async function seedEventsOfDeliveries(db: Kysely<Database>): Promise<void> {
  await sql
    .raw(`insert into webhook_events (id, organization_id, project_id, type, payload, created_at) select event_id, organization_id, null, event_type, '{}', created_at from webhook_deliveries`)
    .execute(db);
}
