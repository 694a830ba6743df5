import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { systemClock } from '../src/clock.ts';
import { openDatabase, type Engine } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { Database } from '../src/db/schema.ts';
import type { Queue } from '../src/jobs/runner.ts';
import { metricsSyncQueue } from '../src/metrics/sync.ts';
import { createOrganization } from '../src/organizations/organizations.ts';
import { publishQueue } from '../src/posts/publisher.ts';
import { createProject } from '../src/projects/projects.ts';
import type { Credentials } from '../src/social/credentials.ts';
import { createScratchDatabase } from '../test/support/server-process.ts';
import { seedAccounts, seedContainers, seedPosts, type SeedScope } from './seed.ts';

/**
 * `npm run bench:claims`: what claiming work costs the database when much of it is due, for the two
 * queues whose due rows can number in the hundred thousands, with 1,000 due rows and with 100,000
 * (`BENCH_SCALE_ROWS`), on each engine, seeded straight into the database (bench/seed.ts):
 * - the metrics sync: connected accounts, a tenth of them waiting for a reauth; first the
 *   registration each run begins with (one statement over every connected account);
 * - publishing: queued posts due now, each on its own account.
 * Each figure is the median of 25 claims of 4 (docs/performance.md, "Thirteenth round").
 */

const SIZES = [1_000, Number(process.env['BENCH_SCALE_ROWS'] ?? 100_000)];
const CLAIMS = 25;
const PG_ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The claims never reach the work, so nothing asks for a credential or a file. */
const noCredentials: Credentials = {
  getUsableCredentials: () => Promise.reject(new Error('the bench works no account')),
};

interface Seeded {
  queue: Queue<{ id: string }>;
  /** What the queue's run does before its first claim, timed; null when it does nothing. */
  beginRunMs: number | null;
}

async function metricsSync(db: Kysely<Database>, scope: SeedScope, rows: number): Promise<Seeded> {
  await seedAccounts(db, scope, rows);
  const queue = metricsSyncQueue({ db, engine: scope.engine, clock: systemClock, credentials: noCredentials, intervalMs: 30 * 60 * 1000 }, 60_000);
  await queue.beginRun?.();
  // One account in ten waits for its reauth: still registered, never due.
  await db.updateTable('social_accounts').set({ status: 'reauth_required' }).where(sql<boolean>`substr(id, -1) = '7'`).execute();
  const started = performance.now();
  await queue.beginRun?.();
  return { queue, beginRunMs: performance.now() - started };
}

async function publishing(db: Kysely<Database>, scope: SeedScope, rows: number): Promise<Seeded> {
  await seedAccounts(db, scope, 1);
  await seedContainers(db, scope, 1);
  await seedPosts(db, scope, rows);
  // Every post queued and due a minute ago, each on an account of its own (nothing holds one back).
  await db
    .updateTable('scheduled_posts')
    .set({ status: 'queued', next_attempt_at: new Date(Date.now() - 60_000).toISOString(), social_account_id: sql<string>`'sa_' || id` })
    .execute();
  const queue = publishQueue({ db, engine: scope.engine, clock: systemClock, credentials: noCredentials, assetsOf: async () => [] }, 1_000);
  return { queue, beginRunMs: null };
}

async function measure(engine: Engine, name: string, seed: typeof metricsSync, rows: number): Promise<void> {
  const dir = engine === 'sqlite' ? mkdtempSync(path.join(os.tmpdir(), 'layers-bench-claims-')) : null;
  const scratch = engine === 'postgres' ? await createScratchDatabase(PG_ADMIN_URL, 'layers_bench_claims') : null;
  const handle = openDatabase(dir ? `sqlite:${path.join(dir, 'layers.db')}` : (scratch?.url as string));
  try {
    await migrateToLatest(handle);
    const { db } = handle;
    const organization = await createOrganization(db, systemClock, 'Bench');
    const project = await createProject(db, systemClock, organization.id, { name: 'Bench app', timezone: 'UTC', primaryLanguage: 'en' });
    const { queue, beginRunMs } = await seed(db, { engine, organizationId: organization.id, projectId: project.id, tag: 'c1a10000' }, rows);
    if (engine === 'postgres') await sql`analyze`.execute(db);
    const times: number[] = [];
    for (let claim = 0; claim < CLAIMS; claim++) {
      const started = performance.now();
      const claimed = await queue.claim(4, []);
      times.push(performance.now() - started);
      if (claimed.length !== 4) throw new Error(`${name}: claim ${claim} found ${claimed.length} due rows`);
    }
    const median = [...times].sort((a, b) => a - b)[Math.floor(CLAIMS / 2)] as number;
    const before = beginRunMs === null ? '' : `  registration ${beginRunMs.toFixed(1).padStart(6)} ms`;
    console.log(`${engine.padEnd(8)} ${name.padEnd(12)} ${rows.toLocaleString('en').padStart(9)} due  claim of 4 ${median.toFixed(2).padStart(6)} ms${before}`);
  } finally {
    await handle.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await scratch?.drop();
  }
}

for (const engine of (process.env['BENCH_ENGINES'] ?? 'sqlite,postgres').split(',') as Engine[]) {
  for (const [name, seed] of [['metrics sync', metricsSync], ['publishing', publishing]] as const) {
    for (const rows of SIZES) await measure(engine, name, seed, rows);
  }
}
