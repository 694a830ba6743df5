import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openDatabase, type Engine } from '../src/db/database.ts';
import { encodeCursor } from '../src/http/pagination.ts';
import { RARE, rareIds, seedAccounts, seedContainers, seedDeliveries, seededTime, seedPosts, type SeedScope } from './seed.ts';
import { createScratchDatabase, freePorts, runCli, startServerProcess } from '../test/support/server-process.ts';

/**
 * `node bench/list-scale.ts`: every listing filter of every list route (social accounts,
 * scheduled posts, content, webhook deliveries) on a project of 1,000 rows and on one of
 * 1,000,000 (BENCH_SCALE_ROWS), side by side, on SQLite and Postgres (BENCH_ENGINES). The rows
 * go straight into the database (bench/seed.ts); each figure is the median latency of
 * sequential requests for a page of 10 to a `layers serve` child process that keeps no listed page in
 * memory (LISTED_PAGES_CACHE_MB=0: each request reads its page). Target: the large project within 2×
 * of the small one (docs/performance.md, "Listing at scale").
 */

const LARGE = Number(process.env['BENCH_SCALE_ROWS'] ?? 1_000_000);
const SMALL = 1_000;
const REQUESTS = Number(process.env['BENCH_SCALE_REQUESTS'] ?? 100);
const SECRET_KEY = 'bench-scale-secret-key-0123456789abcdef-01234';
const PG_ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Seeded {
  scope: SeedScope;
  rows: number;
  endpointId: string;
}

/** Each filter as a path for one seeded project; a rare value picks ten rows, among the oldest (bench/seed.ts). */
const FILTERS: Array<[name: string, path: (s: Seeded) => string]> = [
  ['accounts', (s) => `/v1/projects/${s.scope.projectId}/social-accounts`],
  ['accounts ?platform', (s) => `/v1/projects/${s.scope.projectId}/social-accounts?platform=${RARE.platform}`],
  ['accounts ?status', (s) => `/v1/projects/${s.scope.projectId}/social-accounts?status=${RARE.accountStatus}`],
  ['accounts ?leased', (s) => `/v1/projects/${s.scope.projectId}/social-accounts?leased=true`],
  ['accounts ?cursor (middle)', (s) => `/v1/projects/${s.scope.projectId}/social-accounts?cursor=${middle(s, 'sa', 1)}`],
  ['posts', (s) => `/v1/projects/${s.scope.projectId}/scheduled-posts`],
  ['posts ?status', (s) => `/v1/projects/${s.scope.projectId}/scheduled-posts?status=${RARE.postStatus}`],
  ['posts ?status&status', (s) => `/v1/projects/${s.scope.projectId}/scheduled-posts?status=${RARE.postStatus}&status=${RARE.otherPostStatus}`],
  ['posts ?socialAccountId', (s) => `/v1/projects/${s.scope.projectId}/scheduled-posts?socialAccountId=${rareIds(s.scope).socialAccountId}`],
  ['posts ?containerId', (s) => `/v1/projects/${s.scope.projectId}/scheduled-posts?containerId=${rareIds(s.scope).containerId}`],
  ['posts ?since', (s) => `/v1/projects/${s.scope.projectId}/scheduled-posts?since=${seededTime(s.rows / 2, 60)}`],
  ['posts ?until', (s) => `/v1/projects/${s.scope.projectId}/scheduled-posts?until=${seededTime(s.rows / 2, 60)}`],
  ['posts ?cursor (middle)', (s) => `/v1/projects/${s.scope.projectId}/scheduled-posts?cursor=${middle(s, 'sp', 60)}`],
  ['content', (s) => `/v1/projects/${s.scope.projectId}/content`],
  ['content ?status', (s) => `/v1/projects/${s.scope.projectId}/content?status=${RARE.containerStatus}`],
  ['content ?status&status', (s) => `/v1/projects/${s.scope.projectId}/content?status=${RARE.containerStatus}&status=canceled`],
  ['content ?since', (s) => `/v1/projects/${s.scope.projectId}/content?since=${seededTime(s.rows / 2)}`],
  ['content ?until', (s) => `/v1/projects/${s.scope.projectId}/content?until=${seededTime(s.rows / 2)}`],
  ['content ?cursor (middle)', (s) => `/v1/projects/${s.scope.projectId}/content?cursor=${middle(s, 'cnt', 1)}`],
  ['deliveries', (s) => `/v1/webhook-endpoints/${s.endpointId}/deliveries`],
  ['deliveries ?status', (s) => `/v1/webhook-endpoints/${s.endpointId}/deliveries?status=${RARE.deliveryStatus}`],
  ['deliveries ?eventType', (s) => `/v1/webhook-endpoints/${s.endpointId}/deliveries?eventType=${RARE.eventType}`],
  ['deliveries ?cursor (middle)', (s) => `/v1/webhook-endpoints/${s.endpointId}/deliveries?cursor=${middle(s, 'wd', 1)}`],
];

/** Pages of 10: what a rare value (ten rows) fills on either project, so both serve the same page. */
function pageOf(baseUrl: string, route: string): string {
  return `${baseUrl}${route}${route.includes('?') ? '&' : '?'}limit=10`;
}

/** A cursor halfway down the project: page 500 of 1,000 (or of 1), not page 1. */
function middle(s: Seeded, prefix: string, stepSeconds: number): string {
  const i = s.rows / 2;
  return encodeCursor({ at: seededTime(i, stepSeconds), id: `${prefix}_${s.scope.tag}-0000-4000-8000-${String(i).padStart(12, '0')}` });
}

async function seedProject(databaseUrl: string, engine: Engine, organizationId: string, projectId: string, tag: string, rows: number): Promise<Seeded> {
  const database = openDatabase(databaseUrl);
  try {
    const scope = { engine, organizationId, projectId, tag };
    const endpointId = `we_${tag}-0000-4000-8000-000000000001`;
    const now = new Date().toISOString();
    await database.db
      .insertInto('webhook_endpoints')
      .values({
        id: endpointId,
        organization_id: organizationId,
        project_id: projectId,
        url: 'https://hooks.example.com/bench',
        description: null,
        events: '[]',
        status: 'paused',
        secret_entry_id: 'none',
        consecutive_failures: 0,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      })
      .execute();
    const started = performance.now();
    await seedAccounts(database.db, scope, rows);
    await seedContainers(database.db, scope, rows);
    await seedPosts(database.db, scope, rows);
    await seedDeliveries(database.db, scope, endpointId, rows);
    // The statistics a production database keeps (autovacuum on Postgres; SQLite's planner reads them too).
    await sql`analyze`.execute(database.db);
    process.stderr.write(`  ${engine}: seeded ${rows.toLocaleString('en')} rows × 4 lists in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    return { scope, rows, endpointId };
  } finally {
    await database.destroy();
  }
}

/** Median latency (ms) of `REQUESTS` sequential requests, after a few unmeasured ones. */
async function medianMs(url: string, key: string): Promise<{ ms: number; items: number }> {
  const headers = { authorization: `Bearer ${key}` };
  let items = 0;
  const times: number[] = [];
  for (let i = 0; i < REQUESTS + 10; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers });
    const body = (await res.json()) as { items?: unknown[] };
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(body)}`);
    if (i >= 10) times.push(performance.now() - started);
    items = body.items?.length ?? 0;
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] as number, items };
}

async function benchEngine(engine: Engine, databaseUrl: string, dataDir: string): Promise<void> {
  // Listed pages are not kept in memory: every request reads its page, as the first request after a change does.
  const env = { DATABASE_URL: databaseUrl, LAYERS_SECRET_KEY: SECRET_KEY, DATA_DIR: dataDir, LOG_LEVEL: 'silent', LISTED_PAGES_CACHE_MB: '0' };
  const org = await runCli<{ id: string }>(['admin', 'org', 'create', '--name', 'Scale'], env);
  const { key } = await runCli<{ key: string }>(['admin', 'key', 'create', '--org', org.id, '--scopes', '*', '--tier', 'internal', '--name', 'scale'], env);
  const seeded: Seeded[] = [];
  for (const [tag, rows] of [['5c000001', SMALL], ['5c000002', LARGE]] as const) {
    const project = await runCli<{ id: string }>(['admin', 'project', 'create', '--org', org.id, '--name', `${rows} rows`], env);
    seeded.push(await seedProject(databaseUrl, engine, org.id, project.id, tag, rows));
  }
  const [port] = (await freePorts(1)) as [number];
  const server = await startServerProcess(port, { ...env, EMULATOR_URL: 'http://127.0.0.1:9' });
  try {
    const [small, large] = seeded as [Seeded, Seeded];
    console.log(`\n${engine}: median of ${REQUESTS} sequential requests (ms), items on the page`);
    console.log(`${'filter'.padEnd(28)}  ${SMALL.toLocaleString('en').padStart(10)}  ${LARGE.toLocaleString('en').padStart(10)}  ratio`);
    for (const [name, pathOf] of FILTERS) {
      const a = await medianMs(pageOf(server.url, pathOf(small)), key);
      const b = await medianMs(pageOf(server.url, pathOf(large)), key);
      const ratio = b.ms / a.ms;
      console.log(
        `${name.padEnd(28)}  ${`${a.ms.toFixed(2)} (${a.items})`.padStart(10)}  ${`${b.ms.toFixed(2)} (${b.items})`.padStart(10)}  ${ratio.toFixed(2)}×${ratio > 2 ? '  MISS' : ''}`,
      );
    }
  } finally {
    await server.stop();
  }
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'layers-bench-scale-'));
try {
  const engines = (process.env['BENCH_ENGINES'] ?? 'sqlite,postgres').split(',');
  if (engines.includes('sqlite')) await benchEngine('sqlite', `sqlite:${path.join(tmp, 'layers.db')}`, tmp);
  if (engines.includes('postgres')) {
    const scratch = await createScratchDatabase(PG_ADMIN_URL, 'bench_scale');
    try {
      await benchEngine('postgres', scratch.url, tmp);
    } finally {
      await scratch.drop();
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
