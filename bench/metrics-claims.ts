import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { systemClock } from '../src/clock.ts';
import { openDatabase, type Engine } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { Credentials } from '../src/social/credentials.ts';
import { metricsSyncQueue } from '../src/metrics/sync.ts';
import { createOrganization } from '../src/organizations/organizations.ts';
import { createProject } from '../src/projects/projects.ts';
import { createScratchDatabase } from '../test/support/server-process.ts';
import { seedAccounts } from './seed.ts';

/**
 * `npm run bench:metrics-claims`: what the metrics sync's queue costs the database with 1,000
 * connected accounts and with 100,000 (`BENCH_SCALE_ACCOUNTS`), a tenth of them waiting for a
 * reauth, on each engine: the registration each run begins with (one statement over every
 * connected account), then claims of 4 due accounts, the median of 25 (docs/performance.md,
 * "Thirteenth round"). The accounts are seeded straight into the database (bench/seed.ts).
 */

const SIZES = [1_000, Number(process.env['BENCH_SCALE_ACCOUNTS'] ?? 100_000)];
const CLAIMS = 25;
const PG_ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The claims never reach the work, so nothing asks for a credential. */
const noCredentials: Credentials = {
  getUsableCredentials: () => Promise.reject(new Error('the bench works no account')),
};

async function measure(engine: Engine, accounts: number): Promise<void> {
  const dir = engine === 'sqlite' ? mkdtempSync(path.join(os.tmpdir(), 'layers-bench-claims-')) : null;
  const scratch = engine === 'postgres' ? await createScratchDatabase(PG_ADMIN_URL, 'layers_bench_claims') : null;
  const handle = openDatabase(dir ? `sqlite:${path.join(dir, 'layers.db')}` : (scratch?.url as string));
  try {
    await migrateToLatest(handle);
    const { db } = handle;
    const organization = await createOrganization(db, systemClock, 'Bench');
    const project = await createProject(db, systemClock, organization.id, { name: 'Bench app', timezone: 'UTC', primaryLanguage: 'en' });
    await seedAccounts(db, { engine, organizationId: organization.id, projectId: project.id, tag: 'c1a10000' }, accounts);
    const queue = metricsSyncQueue({ db, engine, clock: systemClock, credentials: noCredentials, intervalMs: 30 * 60 * 1000 }, 60_000);
    let started = performance.now();
    await queue.beginRun?.();
    const firstRegistration = performance.now() - started;
    // One account in ten waits for its reauth: still registered, never due.
    await db.updateTable('social_accounts').set({ status: 'reauth_required' }).where(sql<boolean>`substr(id, -1) = '7'`).execute();
    if (engine === 'postgres') await sql`analyze`.execute(db);
    started = performance.now();
    await queue.beginRun?.();
    const registration = performance.now() - started;
    const times: number[] = [];
    for (let claim = 0; claim < CLAIMS; claim++) {
      started = performance.now();
      const claimed = await queue.claim(4, []);
      times.push(performance.now() - started);
      if (claimed.length !== 4) throw new Error(`claim ${claim} found ${claimed.length} due accounts`);
    }
    const median = [...times].sort((a, b) => a - b)[Math.floor(CLAIMS / 2)] as number;
    console.log(
      `${engine.padEnd(8)} ${accounts.toLocaleString('en').padStart(9)} accounts  first registration ${firstRegistration.toFixed(1).padStart(7)} ms  ` +
        `registration ${registration.toFixed(1).padStart(6)} ms  claim of 4 (median of ${CLAIMS}) ${median.toFixed(2).padStart(6)} ms`,
    );
  } finally {
    await handle.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await scratch?.drop();
  }
}

for (const engine of (process.env['BENCH_ENGINES'] ?? 'sqlite,postgres').split(',') as Engine[]) {
  for (const accounts of SIZES) await measure(engine, accounts);
}
