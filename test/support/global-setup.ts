import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Runs once per `node --test` run, around all test files. Names the run, so every Postgres test
 * schema carries its id, and drops those schemas only at the end: a schema dropped while another
 * file migrates makes Kysely's catalog introspection fail ("schema does not exist").
 */
export async function globalSetup(): Promise<void> {
  process.env.LAYERS_TEST_RUN = randomBytes(4).toString('hex');
  const missing = [
    !process.env.TEST_DATABASE_URL && 'Postgres (set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)',
    !process.env.TEST_REDIS_URL && 'Redis (set TEST_REDIS_URL=redis://127.0.0.1:6379)',
  ].filter(Boolean);
  if (missing.length > 0) console.log(`# skipping suites for: ${missing.join('; ')}. CI runs them.`);
}

export async function globalTeardown(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  const run = process.env.LAYERS_TEST_RUN;
  if (!url || !run) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(`select nspname as name from pg_namespace where nspname like $1`, [`%\\_${run}\\_%`]);
    for (const { name } of rows) await client.query(`drop schema if exists "${name}" cascade`);
  } finally {
    await client.end();
  }
}
