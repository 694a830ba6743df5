import autocannon, { type Options } from 'autocannon';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmulator } from '../src/emulator/main.ts';
import { consent } from '../test/support/consent.ts';
import { benchWebhookThroughput } from './webhooks.ts';
import {
  api,
  createScratchDatabase,
  freePorts,
  killAllChildren,
  runCli,
  startProcess,
  startServerProcess,
  type ServerProcess,
} from '../test/support/server-process.ts';

/**
 * `npm run bench`: throughput and latency of a few hot routes, each server in its own child process
 * so autocannon (in this process) does not share its event loop, against a bare Fastify baseline.
 * Prints a table and writes bench/results/latest.json.
 */

const CONNECTIONS = 10;
const WARMUP_SECONDS = 1;
const DURATION_SECONDS = Number(process.env['BENCH_DURATION_SECONDS'] ?? 5);
const SECRET_KEY = 'bench-secret-key-0123456789abcdef-0123456789';
const RETURN_URL = 'https://app.example.com/back';
const PG_ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RESULTS_FILE = path.join(import.meta.dirname, 'results', 'latest.json');

type Engine = 'sqlite' | 'postgres';

interface Row {
  name: string;
  engine: Engine | null;
  method: string;
  route: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  ratioToBaseline: number;
  requests: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
}

const cleanups: Array<() => unknown> = [];

async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const step = cleanups.pop() as () => unknown;
    try {
      await step();
    } catch (error) {
      console.error(`cleanup: ${(error as Error).message}`);
    }
  }
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`bench interrupted (${signal}); stopping child processes`);
    killAllChildren();
    void cleanUp().finally(() => process.exit(130));
  });
}

async function measure(name: string, engine: Engine | null, route: string, options: Omit<Options, 'connections' | 'duration' | 'warmup'>): Promise<Row> {
  process.stderr.write(`  ${name} …\n`);
  const result = await autocannon({
    ...options,
    connections: CONNECTIONS,
    duration: DURATION_SECONDS,
    warmup: { connections: CONNECTIONS, duration: WARMUP_SECONDS },
  });
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  const row: Row = {
    name,
    engine,
    method: options.method ?? 'GET',
    route,
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ratioToBaseline: 1,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    statusCodes,
  };
  if (row.non2xx > 0 || row.errors > 0) {
    console.error(`  warning: ${name}: ${row.non2xx} non-2xx, ${row.errors} errors/timeouts (status codes ${JSON.stringify(statusCodes)})`);
  }
  return row;
}

/** oauth-url → the emulator's consent page → the server's callback, as a person's browser would. */
async function connectAccount(server: ServerProcess, secret: string, projectId: string): Promise<string> {
  const minted = await api<{ authorizeUrl: string; state: string }>(server.url, 'POST', `/v1/projects/${projectId}/social/oauth-url`, secret, {
    platform: 'tiktok',
    returnUrl: RETURN_URL,
  });
  const redirect = await consent(minted.authorizeUrl, { username: 'bench_creator' });
  const callback = await fetch(redirect, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  await callback.arrayBuffer();
  if (callback.status !== 302 || callback.headers.get('location') !== RETURN_URL) {
    throw new Error(`callback answered ${callback.status} → ${callback.headers.get('location')}`);
  }
  const status = await api<{ status: string; socialAccountId: string | null }>(server.url, 'GET', `/v1/social/oauth-status/${minted.state}`, secret);
  if (status.status !== 'completed' || !status.socialAccountId) throw new Error(`connect ended ${JSON.stringify(status)}`);
  return status.socialAccountId;
}

async function benchEngine(engine: Engine, databaseUrl: string, dataDir: string, emulatorUrl: string): Promise<Row[]> {
  const env = { DATABASE_URL: databaseUrl, LAYERS_SECRET_KEY: SECRET_KEY, DATA_DIR: dataDir, LOG_LEVEL: 'silent', EMULATOR_URL: emulatorUrl };
  const org = await runCli<{ id: string }>(['admin', 'org', 'create', '--name', 'Bench'], env);
  const project = await runCli<{ id: string }>(['admin', 'project', 'create', '--org', org.id, '--name', 'Bench app'], env);
  const { key } = await runCli<{ key: string }>(
    ['admin', 'key', 'create', '--org', org.id, '--scopes', '*', '--tier', 'internal', '--return-domains', 'app.example.com', '--name', 'bench'],
    env,
  );
  const [port] = (await freePorts(1)) as [number];
  const server = await startServerProcess(port, env);
  cleanups.push(() => server.stop());
  try {
    const socialAccountId = await connectAccount(server, key, project.id);
    const reauthRoute = `/v1/projects/${project.id}/social/reauth-url`;
    const reauthBody = { socialAccountId, returnUrl: RETURN_URL };
    const { state } = await api<{ state: string }>(server.url, 'POST', reauthRoute, key, reauthBody);
    const auth = { authorization: `Bearer ${key}` };
    // A server that stopped mid-run (crashed, or was signalled from outside) makes every later number meaningless.
    const checked = (row: Row): Row => {
      const exit = server.exit();
      if (exit) {
        throw new Error(
          `the ${engine} server process ended during "${row.name}" (code ${exit.code}, signal ${exit.signal}); its output:\n${server.output()}`,
        );
      }
      return row;
    };
    return [
      checked(await measure(`GET /v1/whoami (${engine})`, engine, '/v1/whoami', { url: `${server.url}/v1/whoami`, headers: auth })),
      checked(
        await measure(`POST reauth-url (${engine})`, engine, '/v1/projects/:projectId/social/reauth-url', {
          url: `${server.url}${reauthRoute}`,
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify(reauthBody),
        }),
      ),
      checked(
        await measure(`GET oauth-status (${engine})`, engine, '/v1/social/oauth-status/:state', {
          url: `${server.url}/v1/social/oauth-status/${state}`,
          headers: auth,
        }),
      ),
    ];
  } finally {
    await server.stop();
  }
}

function printTable(rows: Row[]): void {
  const header = ['case', 'req/s', 'p50 ms', 'p99 ms', 'vs baseline'];
  const lines = rows.map((r) => [r.name, r.reqPerSec.toFixed(0), r.p50Ms.toFixed(1), r.p99Ms.toFixed(1), `${r.ratioToBaseline.toFixed(2)}×`]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}

async function main(): Promise<void> {
  const started = Date.now();
  const cpus = os.cpus();
  console.log(
    `node ${process.version}, ${cpus.length} CPU(s) (${cpus[0]?.model ?? 'unknown'}); ${CONNECTIONS} connections, ` +
      `${WARMUP_SECONDS} s warmup + ${DURATION_SECONDS} s per case; servers in child processes, no Redis (in-process rate limiter), tier internal; latency resolution 1 ms (autocannon)`,
  );
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'layers-bench-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const emulator = await startEmulator({ port: 0, host: '127.0.0.1' });
  cleanups.push(() => emulator.close());

  const rows: Row[] = [];
  const skipped: string[] = [];

  const [baselinePort] = (await freePorts(1)) as [number];
  const baseline = await startProcess([path.join(import.meta.dirname, 'baseline-server.ts')], baselinePort, { PORT: String(baselinePort) }, '/');
  cleanups.push(() => baseline.stop());
  rows.push(await measure('baseline: bare Fastify GET /', null, '/', { url: `${baseline.url}/` }));
  if (baseline.exit()) throw new Error(`the baseline server ended during its run:\n${baseline.output()}`);
  await baseline.stop();

  rows.push(...(await benchEngine('sqlite', `sqlite:${path.join(tmp, 'sqlite', 'layers.db')}`, path.join(tmp, 'sqlite'), emulator.url)));

  let database: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;
  try {
    database = await createScratchDatabase(PG_ADMIN_URL, 'bench');
  } catch (error) {
    const line = `Postgres skipped: ${PG_ADMIN_URL.replace(/\/\/[^@/]*@/, '//***@')} not reachable (${(error as Error).message})`;
    console.log(line);
    skipped.push(line);
  }
  if (database) {
    const db = database;
    cleanups.push(() => db.drop());
    rows.push(...(await benchEngine('postgres', db.url, path.join(tmp, 'postgres'), emulator.url)));
  }

  const base = (rows[0] as Row).reqPerSec;
  for (const row of rows) row.ratioToBaseline = base > 0 ? row.reqPerSec / base : 0;
  console.log('');
  printTable(rows);

  console.log('\nwebhook delivery throughput (events/s reaching a local receiver; ratio: events/s ÷ baseline req/s)');
  const webhooks = await benchWebhookThroughput();
  for (const row of webhooks) {
    console.log(`${row.name.padEnd(34)}  ${String(row.eventsPerSecond).padStart(6)} events/s  ${(base > 0 ? row.eventsPerSecond / base : 0).toFixed(3)}×`);
  }
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);

  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  const report = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
    connections: CONNECTIONS,
    warmupSeconds: WARMUP_SECONDS,
    durationSeconds: DURATION_SECONDS,
    skipped,
    results: rows,
    webhookThroughput: webhooks,
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results written to ${path.relative(process.cwd(), RESULTS_FILE)}`);
}

try {
  await main();
} catch (error) {
  if (!interrupted) console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
  killAllChildren();
}
