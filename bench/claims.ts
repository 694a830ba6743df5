import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { systemClock } from '../src/clock.ts';
import type { Engine } from '../src/db/database.ts';
import { NOT_DUE } from '../src/metrics/registration.ts';
import type { Database } from '../src/db/schema.ts';
import { createServices, type BackgroundQueues } from '../src/services.ts';
import { createFilesystemBlobStore } from '../src/storage/filesystem.ts';
import { seedAccounts, seedContainers, seedDeliveries, seedPosts, withSeedDatabase, type SeedScope } from './seed.ts';

/**
 * `npm run bench:claims`: what claiming work costs the database when much of it is due, with 1,000
 * due rows and with 100,000 (`BENCH_SCALE_ROWS`), on each engine, for the queues whose due rows can
 * pile up, seeded straight into the database (bench/seed.ts):
 * - the metrics sync: connected accounts, a tenth of them waiting for a reauth (not due); first the
 *   registration a process's first run begins with (one statement over every connected account),
 *   and what later runs begin with;
 * - publishing: queued posts due now, each on its own account;
 * - publishing again, with half of 100 accounts busy, their queued posts first in the due order;
 * - token refresh: connected accounts whose refresh time has come, each at its own time;
 * - webhook deliveries for two endpoints, nine in ten of them, the oldest, for one that is paused,
 *   and again for one this process is sending to.
 * Each figure is the median of 25 claims of 4, through the queues the server runs (src/services.ts)
 * (docs/performance.md, "Thirteenth round", "Fourteenth round", "Fifteenth round").
 */

const SIZES = [1_000, Number(process.env['BENCH_SCALE_ROWS'] ?? 100_000)];
const CLAIMS = 25;

type QueueName = 'metricsSync' | 'publishing' | 'tokenRefresh' | 'deliveries';

interface ClaimCase {
  queue: QueueName;
  /** Seeds `rows` due rows of the queue; `busyGroups`: what the claims are told this process is already working. */
  seed(db: Kysely<Database>, scope: SeedScope, rows: number): Promise<{ busyGroups: string[] } | void>;
  /** The rows a claim of 4 takes, when not 4 (the delivery worker takes an endpoint's share). */
  claimed?: number;
  /** Gives the claimed rows back after each claim, so that every claim finds as many due rows. */
  release?(db: Kysely<Database>, ids: string[]): Promise<void>;
}

const SEEDS = {
  metricsSync: {
    queue: 'metricsSync',
    async seed(db, scope, rows) {
      await seedAccounts(db, scope, rows);
    },
  },
  publishing: {
    queue: 'publishing',
    async seed(db, scope, rows) {
      await seedPublishablePosts(db, scope, rows);
      // Every post queued and due a minute ago, each on an account of its own (nothing holds one back).
      await db
        .updateTable('scheduled_posts')
        .set({ status: 'queued', next_attempt_at: new Date(Date.now() - 60_000).toISOString(), social_account_id: sql<string>`'sa_' || id` })
        .execute();
    },
  },
  // Posts due on 100 accounts, the 50 busy ones' first: each of those has posts on the platform
  // (`publishing`, polled again in an hour) and the rest of its posts queued behind them, as after
  // a reauth released them all. Until migration 0019 a claim walked past every post of a busy
  // account (docs/performance.md, "Fourteenth round").
  'publishing, half the accounts busy': {
    queue: 'publishing',
    async seed(db, scope, rows) {
      await seedPublishablePosts(db, scope, rows);
      const now = Date.now();
      const busy = sql<boolean>`substr(id, length(id) - 1, 1) < '5'`;
      const onPlatform = sql<boolean>`substr(id, length(id) - 3, 2) = '00'`;
      await db
        .updateTable('scheduled_posts')
        .set({
          social_account_id: sql<string>`'sa_' || substr(id, length(id) - 1)`,
          status: 'queued',
          next_attempt_at: sql<string>`case when ${busy} then ${new Date(now - 120_000).toISOString()} else ${new Date(now - 60_000).toISOString()} end`,
        })
        .execute();
      // Then some posts of the busy accounts start publishing: the server's triggers mark the
      // account's queued posts as they do (migration 0019).
      await db
        .updateTable('scheduled_posts')
        .set({ status: 'publishing', next_attempt_at: new Date(now + 3_600_000).toISOString() })
        .where(sql<boolean>`${busy} and ${onPlatform}`)
        .execute();
    },
  },
  tokenRefresh: {
    queue: 'tokenRefresh',
    async seed(db, scope, rows) {
      await seedAccounts(db, scope, rows);
      // Due at its own time, a second apart (the seeded connection times), all in the past.
      await db.updateTable('social_accounts').set({ next_refresh_at: sql<string>`connected_at` }).execute();
    },
  },
  // Deliveries due for two endpoints, nine in ten of them, the oldest, for one that was then
  // auto-paused (its queue waits for it). Until migration 0020 every claim walked past them all
  // (docs/performance.md, "Fifteenth round").
  'webhook deliveries, most for a paused endpoint': deliveryCase(async (db, long) => {
    await db.updateTable('webhook_endpoints').set({ status: 'auto_paused' }).where('id', '=', long).execute();
  }),
  // The same queues, the long one's endpoint being sent to by this process: the claim leaves it out.
  'webhook deliveries, most for a busy endpoint': deliveryCase(async (_db, long) => ({ busyGroups: [long] })),
} satisfies Record<string, ClaimCase>;
type CaseName = keyof typeof SEEDS;

/**
 * A delivery claim's case: two active endpoints, the oldest nine in ten of `rows` due deliveries the
 * `long` one's, which `leave` then leaves as the case has it. A claim takes 32 deliveries of one
 * endpoint; they are given back after each.
 */
function deliveryCase(leave: (db: Kysely<Database>, long: string) => Promise<{ busyGroups: string[] } | void>): ClaimCase {
  return {
    queue: 'deliveries',
    claimed: 32,
    async release(db, ids) {
      await db.updateTable('webhook_deliveries').set({ locked_until: null }).where('id', 'in', ids).execute();
    },
    async seed(db, scope, rows) {
      return leave(db, (await seedDeliveryQueues(db, scope, rows)).long);
    },
  };
}

/** Two active endpoints; the oldest nine in ten of `rows` due deliveries are the `long` one's. */
async function seedDeliveryQueues(db: Kysely<Database>, scope: SeedScope, rows: number): Promise<{ long: string }> {
  const now = new Date().toISOString();
  const endpoint = (id: string) => ({
    id,
    organization_id: scope.organizationId,
    project_id: null,
    url: 'https://hooks.example.com/layers',
    description: null,
    events: '[]',
    status: 'active' as const,
    secret_entry_id: `vault_${id}`,
    consecutive_failures: 0,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  });
  const [short, long] = [`we_${scope.tag}-short`, `we_${scope.tag}-long`];
  await db.insertInto('webhook_endpoints').values([endpoint(short), endpoint(long)]).execute();
  await seedDeliveries(db, scope, short, rows);
  const cutoff = `wd_${scope.tag}-0000-4000-8000-${String(Math.floor(rows * 0.9)).padStart(12, '0')}`;
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: sql<string>`created_at`, endpoint_id: sql<string>`case when id <= ${cutoff} then ${long} else ${short} end` })
    .execute();
  return { long };
}

async function seedPublishablePosts(db: Kysely<Database>, scope: SeedScope, rows: number): Promise<void> {
  await seedAccounts(db, scope, 1);
  await seedContainers(db, scope, 1);
  await seedPosts(db, scope, rows);
}

async function measure(engine: Engine, name: CaseName, rows: number): Promise<void> {
  await withSeedDatabase(engine, 'claims', 'c1a10000', async ({ handle, scope, dir }) => {
    const { db } = handle;
    const { queue: queueName, seed, claimed: expected = 4, release }: ClaimCase = SEEDS[name];
    const busyGroups = (await seed(db, scope, rows))?.busyGroups ?? [];
    const services = createServices({
      database: handle,
      clock: systemClock,
      masterSecret: 'bench-secret-key-0123456789abcdef-0123456789',
      previousMasterSecrets: [],
      redis: null,
      emulatorUrl: 'http://127.0.0.1:9',
      livePlatforms: {},
      publicBaseUrl: 'http://127.0.0.1:9',
      production: false,
      blobs: createFilesystemBlobStore(path.join(dir, 'blobs')),
    });
    const queue: BackgroundQueues[QueueName] = services.queues[queueName];
    let registration = '';
    if (queueName === 'metricsSync') {
      // The seeded accounts were written straight into the database, as an upgraded database's
      // were: the process's first run registers them all, later runs nothing.
      let started = performance.now();
      await queue.beginRun?.();
      const first = performance.now() - started;
      // One account in ten waits for its reauth, its row as the change to reauth_required leaves it:
      // not due. (Until the fourteenth round such a row kept the due time of its last sync, first in
      // the due order, and every claim walked past them all: 31 ms a claim on SQLite.)
      const waiting = sql<boolean>`substr(id, -1) = '7'`;
      await db.updateTable('social_accounts').set({ status: 'reauth_required' }).where(waiting).execute();
      await db.updateTable('metric_accounts').set({ next_sync_at: NOT_DUE }).where(waiting).execute();
      started = performance.now();
      await queue.beginRun?.();
      registration = `  registration: first run ${first.toFixed(1).padStart(6)} ms, later runs ${(performance.now() - started).toFixed(2)} ms`;
    }
    if (engine === 'postgres') await sql`analyze`.execute(db);
    const times: number[] = [];
    for (let claim = 0; claim < CLAIMS; claim++) {
      const started = performance.now();
      const claimed = await queue.claim(4, busyGroups);
      times.push(performance.now() - started);
      if (claimed.length !== expected) throw new Error(`${name}: claim ${claim} found ${claimed.length} due rows`);
      await release?.(db, claimed.map((row) => row.id));
    }
    const median = [...times].sort((a, b) => a - b)[Math.floor(CLAIMS / 2)] as number;
    console.log(`${engine.padEnd(8)} ${name.padEnd(46)} ${rows.toLocaleString('en').padStart(9)} due  claim of 4 ${median.toFixed(2).padStart(6)} ms${registration}`);
  });
}

/** BENCH_CASES=paused,busy: only the cases whose names contain one of these. */
const only = process.env['BENCH_CASES']?.split(',') ?? null;
for (const engine of (process.env['BENCH_ENGINES'] ?? 'sqlite,postgres').split(',') as Engine[]) {
  for (const name of Object.keys(SEEDS) as CaseName[]) {
    if (only && !only.some((part) => name.includes(part))) continue;
    for (const rows of SIZES) await measure(engine, name, rows);
  }
}
