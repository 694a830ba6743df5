import pg from 'pg';

/**
 * Where Postgres spends its time during a bench, by statement: samples `pg_stat_activity` every few
 * milliseconds and prints, for each statement seen running (its first 90 characters) and what it
 * waited on, how many backends were running it on average. A CPU profile of the server shows only
 * that it waits on Postgres; this shows what Postgres is doing meanwhile (docs/performance.md,
 * "Webhook deliveries", fifth pass). No extension or server setting is needed.
 *
 *   node bench/pg-activity.ts <database name prefix> [seconds] [start after rows]
 *
 * It waits for the newest database whose name starts with the prefix (the benches create scratch
 * databases: `bench_webhooks_…`), then, when a third argument is given, for `webhook_deliveries` to
 * hold that many finished deliveries (so the samples cover the drain, not the setup).
 */
const [prefix, secondsArgument = '4', startAfterArgument] = process.argv.slice(2);
if (!prefix) {
  process.stderr.write('usage: node bench/pg-activity.ts <database name prefix> [seconds] [start after rows]\n');
  process.exit(2);
}
const ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SAMPLE_EVERY_MS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
try {
  let database: string | undefined;
  while (!database) {
    const { rows } = await admin.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1) order by oid desc limit 1', [prefix]);
    database = rows[0]?.datname;
    if (!database) await sleep(100);
  }
  if (startAfterArgument) await waitForFinishedDeliveries(database, Number(startAfterArgument));
  const shares = new Map<string, number>();
  let samples = 0;
  const end = performance.now() + Number(secondsArgument) * 1000;
  while (performance.now() < end) {
    const { rows } = await admin.query<{ running: string }>(
      `select coalesce(wait_event_type || ':' || wait_event, 'CPU') || '  ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 90) as running
         from pg_stat_activity where datname = $1 and state = 'active' and pid <> pg_backend_pid()`,
      [database],
    );
    samples++;
    for (const { running } of rows) shares.set(running, (shares.get(running) ?? 0) + 1);
    await sleep(SAMPLE_EVERY_MS);
  }
  console.log(`${samples} samples of ${database}; backends running each statement, on average:`);
  for (const [running, count] of [...shares].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${(count / samples).toFixed(2)}  ${running}`);
} finally {
  await admin.end();
}

async function waitForFinishedDeliveries(database: string, count: number): Promise<void> {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    for (;;) {
      const finished = await client
        .query<{ n: number }>("select count(*)::int as n from webhook_deliveries where status <> 'pending'")
        .then(({ rows }) => rows[0]?.n ?? 0, () => 0);
      if (finished >= count) return;
      await sleep(50);
    }
  } finally {
    await client.end();
  }
}
