import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Runs once per `node --test` run, around all test files. Names the run, so every Postgres test
 * schema carries its id, and drops those schemas only at the end: a schema dropped while another
 * file migrates makes Kysely's catalog introspection fail ("schema does not exist").
 */
export async function globalSetup(): Promise<void> {
  process.env.LAYERS_TEST_RUN = randomBytes(4).toString('hex');
  await claimRun();
  const missing = [
    !process.env.TEST_DATABASE_URL && 'Postgres (set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)',
    !process.env.TEST_REDIS_URL && 'Redis (set TEST_REDIS_URL=redis://127.0.0.1:6379)',
  ].filter(Boolean);
  if (missing.length > 0) console.log(`# skipping suites for: ${missing.join('; ')}. CI runs them.`);
}

export async function globalTeardown(): Promise<void> {
  const run = process.env.LAYERS_TEST_RUN;
  if (!liveRun || !run) return;
  try {
    await dropSchemas(liveRun, (await runSchemas(liveRun)).get(run) ?? []);
  } finally {
    await liveRun.end();
    liveRun = null;
  }
}

/**
 * The connection that holds this run's advisory lock for as long as the process lives: the mark of
 * a run that has not ended. `node --test --test-force-exit` exits before the global teardown has
 * dropped the run's schemas, so runs that have ended are cleaned up by the next one instead.
 */
let liveRun: pg.Client | null = null;

/** Advisory locks of test runs: this class, and the run id's 32 bits. */
const RUN_LOCK_CLASS = 0x4c617972;

/**
 * Marks this run as live on the test Postgres and drops the schemas of every run that is not
 * (its lock is free): a run's schemas are never dropped while it may still use them.
 */
export async function claimRun(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  const run = process.env.LAYERS_TEST_RUN;
  if (!url || !run || liveRun) return;
  liveRun = new pg.Client({ connectionString: url });
  await liveRun.connect();
  await liveRun.query('select pg_advisory_lock($1, $2)', [RUN_LOCK_CLASS, runLockKey(run)]);
  for (const [other, schemas] of await runSchemas(liveRun)) {
    if (other === run) continue;
    const { rows } = await liveRun.query<{ ended: boolean }>('select pg_try_advisory_lock($1, $2) as ended', [RUN_LOCK_CLASS, runLockKey(other)]);
    if (!rows[0]?.ended) continue;
    await dropSchemas(liveRun, schemas);
    await liveRun.query('select pg_advisory_unlock($1, $2)', [RUN_LOCK_CLASS, runLockKey(other)]);
  }
}

/** A run id (8 hex digits) as a signed 32-bit advisory lock key. */
function runLockKey(run: string): number {
  return Number.parseInt(run, 16) | 0;
}

/** Test schemas (`<prefix>_<run id>_<random>`, test/support/engines.ts) by run id. */
async function runSchemas(client: pg.Client): Promise<Map<string, string[]>> {
  const { rows } = await client.query<{ name: string }>(`select nspname as name from pg_namespace where nspname ~ '^[a-z]+_[0-9a-f]{8}_[0-9a-f]+$'`);
  const byRun = new Map<string, string[]>();
  for (const { name } of rows) {
    const run = name.split('_')[1] as string;
    const schemas = byRun.get(run) ?? [];
    schemas.push(name);
    byRun.set(run, schemas);
  }
  return byRun;
}

async function dropSchemas(client: pg.Client, names: readonly string[]): Promise<void> {
  for (const name of names) await client.query(`drop schema if exists "${name}" cascade`);
}
