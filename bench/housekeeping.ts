import { sql, type Kysely } from 'kysely';
import type { Engine } from '../src/db/database.ts';
import type { Database } from '../src/db/schema.ts';
import { systemClock } from '../src/clock.ts';
import { purgeExpired } from '../src/housekeeping.ts';
import { seedDeliveries, seedEventsOfDeliveries, withSeedDatabase } from './seed.ts';

/**
 * `npm run bench:housekeeping`: what a housekeeping run costs beside 1,000 webhook deliveries and
 * beside 1,000,000 (`BENCH_SCALE_ROWS`), each with its event, seeded straight into the database
 * (bench/seed.ts). Half of them are past the 30 days' retention. Of those, ten are still pending,
 * and then, in a second case, a tenth: a paused endpoint's queue keeps them however old, and their
 * events with them, so every run walks past them again. The first run deletes the rest of the old
 * half; the next finds nothing to delete, as most runs do (on Postgres after a `vacuum analyze`, as
 * autovacuum would have run by then). Prints each run's time, the rows it deleted and the longest
 * the event loop went without turning: on SQLite every statement holds it (docs/performance.md,
 * "Sixteenth round").
 */

const SIZES = [1_000, Number(process.env['BENCH_SCALE_ROWS'] ?? 1_000_000)];

/** Which of the old deliveries are still pending. */
const PENDING = {
  ten: sql`cast(substr(id, length(id) - 11, 12) as integer) <= 1000 and substr(id, length(id) - 1, 2) = '01'`,
  'a tenth': sql`substr(id, length(id) - 1, 2) in ('00', '11', '22', '33', '44')`,
};

/** Moves half the deliveries and their events 40 days back, and keeps some of those pending. */
async function ageHalf(db: Kysely<Database>, engine: Engine, pending: keyof typeof PENDING): Promise<void> {
  const older =
    engine === 'sqlite'
      ? sql`strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '-40 days')`
      : sql`to_char((created_at::timestamptz - interval '40 days') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const lastDigit = sql`substr(id, length(id), 1)`;
  await sql`update webhook_deliveries set created_at = ${older} where ${lastDigit} < '5'`.execute(db);
  await sql`update webhook_events set created_at = ${older} where ${lastDigit} < '5'`.execute(db);
  await sql`update webhook_deliveries set status = 'pending', next_attempt_at = created_at where ${PENDING[pending]}`.execute(db);
}

async function measure(engine: Engine, rows: number, pending: keyof typeof PENDING): Promise<void> {
  await withSeedDatabase(engine, 'housekeeping', 'b0c5e000', async ({ handle, scope }) => {
    const { db } = handle;
    await seedDeliveries(db, scope, 'we_bench', rows);
    await seedEventsOfDeliveries(db);
    await ageHalf(db, engine, pending);
    for (const run of ['first run', 'next run']) {
      if (engine === 'postgres') await sql`vacuum analyze`.execute(db);
      // The longest the event loop went without running a timer due every millisecond.
      let lastTick = performance.now();
      let longestWait = 0;
      const ticks = setInterval(() => {
        const now = performance.now();
        longestWait = Math.max(longestWait, now - lastTick);
        lastTick = now;
      }, 1);
      const started = performance.now();
      const purged = await purgeExpired(handle, systemClock);
      const elapsed = performance.now() - started;
      longestWait = Math.max(longestWait, performance.now() - lastTick);
      clearInterval(ticks);
      const { count: events } = await db.selectFrom('webhook_events').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
      console.log(
        `${engine.padEnd(8)} ${rows.toLocaleString('en').padStart(9)} deliveries, ${pending.padEnd(7)} old pending  ${run.padEnd(9)} ${elapsed.toFixed(1).padStart(8)} ms` +
          `  deleted ${purged.webhookDeliveries.toLocaleString('en').padStart(7)} deliveries and ${purged.webhookEvents.toLocaleString('en').padStart(7)} events` +
          ` (${Number(events).toLocaleString('en')} left)  longest event-loop wait ${longestWait.toFixed(1).padStart(6)} ms`,
      );
    }
  });
}

for (const engine of (process.env['BENCH_ENGINES'] ?? 'sqlite,postgres').split(',') as Engine[]) {
  for (const pending of Object.keys(PENDING) as Array<keyof typeof PENDING>) {
    for (const rows of SIZES) await measure(engine, rows, pending);
  }
}
