import autocannon, { type Options, type RawResult, type Request, type Result } from 'autocannon';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/db/database.ts';
import { startEmulator } from '../src/emulator/main.ts';
import { consent } from '../test/support/consent.ts';
import { LOAD_CPU, pin, SERVER_CPU } from './pinning.ts';
import { cpuMicros, ioCalls, rssMb } from './process-stats.ts';
import { seedAccounts, seedContainers, seedPosts } from './seed.ts';
import { benchWebhookThroughput, throughputLine } from './webhooks.ts';
import {
  api,
  createScratchDatabase,
  freePorts,
  killAllChildren,
  runCli,
  START_ENTRY,
  START_NODE_FLAGS,
  startProcess,
  startServerProcess,
  type ServerProcess,
} from '../test/support/server-process.ts';

/**
 * `npm run bench`: throughput and latency of the hot routes, measured from outside: each server in
 * its own child process pinned to one core, autocannon (this process) pinned to the other, against
 * two baselines answering constant JSON (bare node:http and bare Fastify) measured in the same run.
 * Prints a table with each case's ratio to bare Fastify (measured in slices between the case's own)
 * and its target (docs/performance.md), the server's RSS idle and under load, the webhook
 * throughput, and writes bench/results/latest.json. BENCH_DURATION_SECONDS, BENCH_WARMUP_SECONDS and
 * BENCH_CONNECTIONS change a run's shape.
 */

const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
const WARMUP_SECONDS = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 1);
const DURATION_SECONDS = Number(process.env['BENCH_DURATION_SECONDS'] ?? 8);
/**
 * A case is measured in slices of this many seconds, each between two slices of bare Fastify on the
 * same core, and its ratio is to those: this machine's speed moves by a third within seconds
 * (docs/performance.md, "How it is measured"), so a baseline measured once, minutes before the
 * case, says little about the machine the case ran on.
 */
const SLICE_SECONDS = 2;
const SECRET_KEY = 'bench-secret-key-0123456789abcdef-0123456789';
const RETURN_URL = 'https://app.example.com/back';
const PG_ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RESULTS_FILE = path.join(import.meta.dirname, 'results', 'latest.json');
/** BENCH_CASES=whoami,reauth-url: only those cases (for profiling one route at a time). */
const ONLY_CASES = process.env['BENCH_CASES']?.split(',') ?? null;
/** BENCH_CPU_PROFILE=<dir>: the servers run under `node --cpu-prof` and write their profiles there (bench/profile-summary.ts reads them). */
const PROFILE_DIR = process.env['BENCH_CPU_PROFILE'] ? path.resolve(process.env['BENCH_CPU_PROFILE']) : null;
/**
 * BENCH_LOG_LEVEL=info: the servers log as `npm start` does by default, one line per request
 * (docs/performance.md, "Twelfth round"); silent unless asked, as every round before it measured.
 */
const LOG_LEVEL = process.env['BENCH_LOG_LEVEL'] ?? 'silent';
/** Items in each listed page: the "50 items". */
const LIST_ITEMS = 50;

type Engine = 'sqlite' | 'postgres';

/** What a case must reach on SQLite; on Postgres, half the SQLite ratio and a p99 of 20 ms. */
interface Target {
  ratio: number;
  p99Ms: number;
}

interface Row {
  name: string;
  engine: Engine | null;
  method: string;
  route: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  ratioToBaseline: number;
  /**
   * Bare Fastify's req/s beside this case: the mean, over the case's slices, of the two baseline
   * slices around each; null for the baselines themselves.
   */
  besideBaselineReqPerSec: number | null;
  /**
   * Bare Fastify's p99 (ms) over its slices beside this case: how steadily the core served at that
   * moment. In a closed loop of CONNECTIONS the mean latency is CONNECTIONS over the rate, and a p99
   * is a multiple of it that the core's other work sets (docs/performance.md, "Seventeenth round").
   */
  besideBaselineP99Ms: number | null;
  /** Each slice's req/s and p99 (ms), the case's and bare Fastify's around them, in the order measured. */
  slices: { case: number[]; baseline: number[]; caseP99Ms: number[]; baselineP99Ms: number[] } | null;
  target: Target | null;
  /** Server CPU time per request (µs), measured from /proc. */
  cpuMicrosPerRequest: number | null;
  /**
   * The server's read and write system calls per request (/proc's syscr and syscw: sockets, files, the
   * WAL): on this machine each costs 4–5 µs, and unlike the CPU time their count does not depend on what
   * else the machine runs (docs/performance.md, "Eighteenth round").
   */
  ioCallsPerRequest: number | null;
  /** The server's resident memory at the end of the case (MB), null for the baselines. */
  rssMb: number | null;
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

/** autocannon reports the warm-up's own results beside the measured ones. */
function warmupRequests(result: object): number {
  return (result as { warmup?: { requests?: { total?: number } } }).warmup?.requests?.total ?? 0;
}

type LoadOptions = Omit<Options, 'connections' | 'duration' | 'warmup'>;

/** A table row from what autocannon measured (one run, or a case's slices merged). */
function rowOf(
  name: string,
  engine: Engine | null,
  route: string,
  target: Target | null,
  options: LoadOptions,
  result: Result,
  measured: { reqPerSec: number; cpuMicrosPerRequest: number | null; ioCallsPerRequest: number | null; rssMb: number | null },
): Row {
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  const row: Row = {
    name,
    engine,
    method: options.method ?? 'GET',
    route,
    reqPerSec: measured.reqPerSec,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ratioToBaseline: 1,
    besideBaselineReqPerSec: null,
    besideBaselineP99Ms: null,
    slices: null,
    target,
    rssMb: measured.rssMb,
    cpuMicrosPerRequest: measured.cpuMicrosPerRequest,
    ioCallsPerRequest: measured.ioCallsPerRequest,
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

/** One run of DURATION_SECONDS after a warm-up: the baselines. */
async function measure(name: string, serverPid: number, options: LoadOptions): Promise<Row> {
  process.stderr.write(`  ${name} …\n`);
  const cpuBefore = cpuMicros(serverPid);
  const ioBefore = ioCalls(serverPid);
  const result = await autocannon({
    ...options,
    connections: CONNECTIONS,
    duration: DURATION_SECONDS,
    warmup: { connections: CONNECTIONS, duration: WARMUP_SECONDS },
  });
  const cpuAfter = cpuMicros(serverPid);
  const ioAfter = ioCalls(serverPid);
  // Counts the warm-up's requests too, as the CPU time does; less noisy than req/s on a shared machine.
  const requests = result.requests.total + warmupRequests(result);
  return rowOf(name, null, '/', null, options, result, {
    reqPerSec: result.requests.average,
    cpuMicrosPerRequest: cpuBefore === null || cpuAfter === null ? null : Math.round((cpuAfter - cpuBefore) / requests),
    ioCallsPerRequest: ioBefore === null || ioAfter === null ? null : (ioAfter - ioBefore) / requests,
    rssMb: null,
  });
}

/** A baseline server kept running through the cases, loaded in slices between theirs. */
interface BesideBaseline {
  /** One slice's load, unaggregated (so a case can merge its slices' latencies). */
  slice(): Promise<RawResult>;
}

/**
 * A case after a warm-up, in slices of SLICE_SECONDS adding up to DURATION_SECONDS (rounded up to a
 * whole slice), with a slice of bare Fastify before the first and after each. Each case slice is
 * compared with the mean of the two baseline slices around it; latency percentiles are over every
 * request of the case.
 */
async function measureBeside(
  name: string,
  engine: Engine,
  route: string,
  target: Target,
  serverPid: number,
  options: LoadOptions,
  baseline: BesideBaseline,
): Promise<Row> {
  process.stderr.write(`  ${name} …\n`);
  await autocannon({ ...options, connections: CONNECTIONS, duration: WARMUP_SECONDS });
  const baselineRaw = [await baseline.slice()];
  const caseRates: number[] = [];
  const raw: RawResult[] = [];
  let cpu = 0;
  let io = 0;
  let requests = 0;
  let seconds = 0;
  for (let sliced = 0; sliced < DURATION_SECONDS; sliced += SLICE_SECONDS) {
    const cpuBefore = cpuMicros(serverPid) ?? 0;
    const ioBefore = ioCalls(serverPid) ?? 0;
    const result = await autocannon({ ...options, connections: CONNECTIONS, duration: SLICE_SECONDS, skipAggregateResult: true });
    cpu += (cpuMicros(serverPid) ?? 0) - cpuBefore;
    io += (ioCalls(serverPid) ?? 0) - ioBefore;
    raw.push(result);
    requests += result.totalCompletedRequests;
    seconds += result.duration;
    caseRates.push(result.totalCompletedRequests / result.duration);
    baselineRaw.push(await baseline.slice());
  }
  const aggregate = (results: RawResult[]) => autocannon.aggregateResult(results, { url: options.url, connections: CONNECTIONS });
  const row = rowOf(name, engine, route, target, options, aggregate(raw), {
    reqPerSec: requests / seconds,
    cpuMicrosPerRequest: cpuMicros(serverPid) === null ? null : Math.round(cpu / requests),
    ioCallsPerRequest: ioCalls(serverPid) === null ? null : io / requests,
    rssMb: rssMb(serverPid),
  });
  // Weighted by each case slice's length, as the case's own rate is.
  const baselineRates = baselineRaw.map((result) => result.totalCompletedRequests / result.duration);
  row.besideBaselineReqPerSec = raw.reduce((sum, result, index) => sum + (((baselineRates[index] as number) + (baselineRates[index + 1] as number)) / 2) * result.duration, 0) / seconds;
  row.besideBaselineP99Ms = aggregate(baselineRaw).latency.p99;
  row.slices = {
    case: caseRates.map(Math.round),
    baseline: baselineRates.map(Math.round),
    caseP99Ms: raw.map((result) => aggregate([result]).latency.p99),
    baselineP99Ms: baselineRaw.map((result) => aggregate([result]).latency.p99),
  };
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

/** Requests for the given paths in turn, one turn shared by every connection, so concurrent requests ask for different paths. */
function inTurn(paths: string[]): Options['requests'] {
  let next = 0;
  return [{ setupRequest: (request: Request) => ({ ...request, path: paths[next++ % paths.length] as string }) }];
}

/** One engine's cases, with their targets (docs/performance.md) and what they need seeded. */
async function benchEngine(
  engine: Engine,
  databaseUrl: string,
  dataDir: string,
  emulatorUrl: string,
  memory: MemoryRow[],
  beside: BesideBaseline,
): Promise<{ rows: Row[]; pages: ListedPage[] }> {
  const env = { DATABASE_URL: databaseUrl, LAYERS_SECRET_KEY: SECRET_KEY, DATA_DIR: dataDir, LOG_LEVEL, EMULATOR_URL: emulatorUrl };
  const org = await runCli<{ id: string }>(['admin', 'org', 'create', '--name', 'Bench'], env);
  const project = await runCli<{ id: string }>(['admin', 'project', 'create', '--org', org.id, '--name', 'Bench app'], env);
  const { key } = await runCli<{ key: string }>(
    ['admin', 'key', 'create', '--org', org.id, '--scopes', '*', '--tier', 'internal', '--return-domains', 'app.example.com', '--name', 'bench'],
    env,
  );
  const [port] = (await freePorts(1)) as [number];
  const server = PROFILE_DIR
    ? await startProcess([...START_NODE_FLAGS, '--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, START_ENTRY, 'serve'], port, { ...env, HOST: '127.0.0.1', PORT: String(port) }, '/readyz')
    : await startServerProcess(port, env);
  cleanups.push(() => server.stop());
  const pinned = pin(server.pid, SERVER_CPU);
  try {
    const socialAccountId = await connectAccount(server, key, project.id);
    // The rest of the listed page, straight into the database: 49 more accounts, 50 posts.
    const database = openDatabase(databaseUrl);
    try {
      const scope = { engine, organizationId: org.id, projectId: project.id, tag: 'be0c0000' };
      await seedAccounts(database.db, scope, LIST_ITEMS - 1);
      await seedContainers(database.db, scope, 1);
      await seedPosts(database.db, scope, LIST_ITEMS);
    } finally {
      await database.destroy();
    }
    const reauthRoute = `/v1/projects/${project.id}/social/reauth-url`;
    const reauthBody = { socialAccountId, returnUrl: RETURN_URL };
    // The single-row reads ask for LIST_ITEMS different rows in turn, so concurrent requests ask
    // for different rows: on Postgres they share queries (docs/performance.md, "Shared reads"), and
    // one row asked for by every connection would make each shared query read a single row.
    const states: string[] = [];
    let lastConsent: { state: string } | null = null;
    for (let minted = 0; minted < LIST_ITEMS; minted++) {
      lastConsent = await api<{ state: string }>(server.url, 'POST', reauthRoute, key, reauthBody);
      states.push(lastConsent.state);
    }
    const listed = await api<{ items: unknown[] }>(server.url, 'GET', `/v1/projects/${project.id}/social-accounts`, key);
    const posts = await api<{ items: Array<{ id: string }> }>(server.url, 'GET', `/v1/projects/${project.id}/scheduled-posts`, key);
    if (listed.items.length !== LIST_ITEMS || posts.items.length !== LIST_ITEMS) {
      throw new Error(`expected ${LIST_ITEMS} accounts and posts listed, got ${listed.items.length} and ${posts.items.length}`);
    }
    const pages: ListedPage[] = [];
    for (const [id, name, page] of [['social-accounts', 'the accounts page', listed], ['scheduled-posts', 'the posts page', posts]] as const) {
      if (ONLY_CASES && !ONLY_CASES.includes(id)) continue;
      const file = path.join(dataDir, `${id}.json`);
      writeFileSync(file, JSON.stringify(page));
      pages.push({ name, file });
    }
    if (!ONLY_CASES || ONLY_CASES.includes('reauth-url')) {
      const file = path.join(dataDir, 'reauth-url.json');
      writeFileSync(file, JSON.stringify(lastConsent));
      pages.push({ name: 'POST, reauth-url\'s body and answer', file, postBody: JSON.stringify(reauthBody) });
    }
    const idleRss = rssMb(server.pid);
    const auth = { authorization: `Bearer ${key}` };
    // A server that stopped mid-run (crashed, or was signalled from outside) makes every later number meaningless.
    const run = async (name: string, route: string, target: Target, options: LoadOptions) => {
      const row = await measureBeside(`${name} (${engine})`, engine, route, target, server.pid, options, beside);
      const exit = server.exit();
      if (exit) {
        throw new Error(`the ${engine} server process ended during "${row.name}" (code ${exit.code}, signal ${exit.signal}); its output:\n${server.output()}`);
      }
      return row;
    };
    const cases: Array<[string, () => Promise<Row>]> = [
      ['whoami', () => run('GET /v1/whoami', '/v1/whoami', { ratio: 0.5, p99Ms: 10 }, { url: `${server.url}/v1/whoami`, headers: auth })],
      ['oauth-status', () => run(`GET oauth-status (${LIST_ITEMS} in turn)`, '/v1/social/oauth-status/:state', { ratio: 0.5, p99Ms: 10 }, {
        url: server.url,
        requests: inTurn(states.map((state) => `/v1/social/oauth-status/${state}`)),
        headers: auth,
      })],
      ['social-accounts', () => run(`GET social-accounts (${LIST_ITEMS})`, '/v1/projects/:projectId/social-accounts', { ratio: 0.25, p99Ms: 10 }, {
        url: `${server.url}/v1/projects/${project.id}/social-accounts`,
        headers: auth,
      })],
      ['reauth-url', () => run('POST reauth-url', '/v1/projects/:projectId/social/reauth-url', { ratio: 0.25, p99Ms: 10 }, {
        url: `${server.url}${reauthRoute}`,
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(reauthBody),
      })],
      ['scheduled-post', () => run(`GET scheduled-post (${LIST_ITEMS} in turn)`, '/v1/scheduled-posts/:scheduledPostId', { ratio: 0.4, p99Ms: 10 }, {
        url: server.url,
        requests: inTurn(posts.items.map((post) => `/v1/scheduled-posts/${post.id}`)),
        headers: auth,
      })],
      ['scheduled-posts', () => run(`GET scheduled-posts (${LIST_ITEMS})`, '/v1/projects/:projectId/scheduled-posts', { ratio: 0.2, p99Ms: 15 }, {
        url: `${server.url}/v1/projects/${project.id}/scheduled-posts`,
        headers: auth,
      })],
    ];
    const rows: Row[] = [];
    for (const [id, measureCase] of cases) if (!ONLY_CASES || ONLY_CASES.includes(id)) rows.push(await measureCase());
    memory.push({ engine, pinned, idleMb: idleRss, underLoadMb: Math.max(...rows.map((row) => row.rssMb ?? 0)) });
    return { rows, pages };
  } finally {
    await server.stop();
  }
}

interface MemoryRow {
  engine: Engine;
  pinned: boolean;
  idleMb: number | null;
  underLoadMb: number;
}

/** SQLite rows against their own target; Postgres rows against half the SQLite ratio of the same case and p99 ≤ 20 ms. */
function verdict(row: Row, rows: Row[]): string {
  if (!row.target) return '';
  if (row.engine === 'postgres') {
    const sqlite = rows.find((other) => other.engine === 'sqlite' && other.route === row.route);
    const ratio = sqlite ? sqlite.ratioToBaseline / 2 : row.target.ratio / 2;
    return `≥${ratio.toFixed(2)}× ≤20 ms ${row.ratioToBaseline >= ratio && row.p99Ms <= 20 ? 'ok' : 'MISS'}`;
  }
  return `≥${row.target.ratio}× ≤${row.target.p99Ms} ms ${row.ratioToBaseline >= row.target.ratio && row.p99Ms <= row.target.p99Ms ? 'ok' : 'MISS'}`;
}

function printTable(rows: Row[]): void {
  const header = ['case', 'req/s', 'Fastify beside', 'its p99', 'p50 ms', 'p99 ms', 'vs Fastify', 'target', 'CPU µs/req', 'I/O calls/req', 'RSS MB'];
  const lines = rows.map((r) => [
    r.name,
    r.reqPerSec.toFixed(0),
    r.besideBaselineReqPerSec === null ? '' : r.besideBaselineReqPerSec.toFixed(0),
    r.besideBaselineP99Ms === null ? '' : r.besideBaselineP99Ms.toFixed(1),
    r.p50Ms.toFixed(1),
    r.p99Ms.toFixed(1),
    `${r.ratioToBaseline.toFixed(2)}×`,
    verdict(r, rows),
    r.cpuMicrosPerRequest === null ? '' : String(r.cpuMicrosPerRequest),
    r.ioCallsPerRequest === null ? '' : r.ioCallsPerRequest.toFixed(1),
    r.rssMb === null ? '' : String(r.rssMb),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}

/**
 * An answer as one engine's server gave it, for a baseline answering the same bytes: a listed page
 * (GET), or a write route's answer (POST, sent the same body the route was).
 */
interface ListedPage {
  name: string;
  file: string;
  /** The JSON body the baseline is POSTed, as the route was. */
  postBody?: string;
}

function sizeText(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${Math.round(bytes / 1024)} KB`;
}

/** A baseline server in its own process, pinned to the servers' core, and how to load it. */
async function startBaseline(kind: 'http' | 'fastify', page?: ListedPage) {
  const [port] = (await freePorts(1)) as [number];
  const env = { PORT: String(port), BASELINE: kind, ...(page ? { BASELINE_BODY_FILE: page.file } : {}) };
  const baseline = await startProcess([path.join(import.meta.dirname, 'baseline-server.ts')], port, env, '/');
  cleanups.push(() => baseline.stop());
  pin(baseline.pid, SERVER_CPU);
  const name = page
    ? `baseline: bare Fastify, ${page.name} (${sizeText(statSync(page.file).size)})`
    : `baseline: bare ${kind === 'http' ? 'node:http' : 'Fastify'} GET /`;
  const request: LoadOptions = page?.postBody
    ? { url: `${baseline.url}/`, method: 'POST', headers: { 'content-type': 'application/json' }, body: page.postBody }
    : { url: `${baseline.url}/` };
  const stillRunning = () => {
    if (baseline.exit()) throw new Error(`the baseline server ended during its run:\n${baseline.output()}`);
  };
  return {
    async measure(): Promise<Row> {
      const row = await measure(name, baseline.pid, request);
      stillRunning();
      return row;
    },
    async slice() {
      const result = await autocannon({ ...request, connections: CONNECTIONS, duration: SLICE_SECONDS, skipAggregateResult: true });
      stillRunning();
      return result;
    },
    stop: () => baseline.stop(),
  };
}

async function measureBaseline(kind: 'http' | 'fastify', page?: ListedPage): Promise<Row> {
  const baseline = await startBaseline(kind, page);
  const row = await baseline.measure();
  await baseline.stop();
  return row;
}

async function main(): Promise<void> {
  const started = Date.now();
  const cpus = os.cpus();
  const loadPinned = pin(process.pid, LOAD_CPU);
  console.log(
    `node ${process.version}, ${cpus.length} CPU(s) (${cpus[0]?.model ?? 'unknown'}); ${CONNECTIONS} connections, ` +
      `${WARMUP_SECONDS} s warmup + ${DURATION_SECONDS} s per case; ` +
      (loadPinned ? `servers pinned to CPU ${SERVER_CPU}, load generator to CPU ${LOAD_CPU}` : 'NOT pinned (taskset or a second CPU missing)') +
      '; no Redis (in-process rate limiter), tier internal; latency resolution 1 ms (autocannon)',
  );
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'layers-bench-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const emulator = await startEmulator({ port: 0, host: '127.0.0.1' });
  cleanups.push(() => emulator.close());

  const rows: Row[] = [];
  const memory: MemoryRow[] = [];
  const skipped: string[] = [];

  // The two baselines first, for the table. The Fastify one keeps running: each case's ratio is to
  // it, measured in slices beside the case's own, and this first run warms it up.
  const beside = await startBaseline('fastify');
  rows.push(await beside.measure());
  rows.push(await measureBaseline('http'));

  const engines = (process.env['BENCH_ENGINES'] ?? 'sqlite,postgres').split(',');
  if (engines.includes('sqlite')) {
    const sqlite = await benchEngine('sqlite', `sqlite:${path.join(tmp, 'sqlite', 'layers.db')}`, path.join(tmp, 'sqlite'), emulator.url, memory, beside);
    rows.push(...sqlite.rows);
    // What bare Fastify makes of a listed page's bytes, and of reauth-url's request and answer: each route's ceiling on this machine.
    for (const page of sqlite.pages) rows.push(await measureBaseline('fastify', page));
  }

  let database: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;
  if (engines.includes('postgres')) {
    try {
      database = await createScratchDatabase(PG_ADMIN_URL, 'bench');
    } catch (error) {
      const line = `Postgres skipped: ${PG_ADMIN_URL.replace(/\/\/[^@/]*@/, '//***@')} not reachable (${(error as Error).message})`;
      console.log(line);
      skipped.push(line);
    }
  }
  if (database) {
    const db = database;
    cleanups.push(() => db.drop());
    rows.push(...(await benchEngine('postgres', db.url, path.join(tmp, 'postgres'), emulator.url, memory, beside)).rows);
  }

  const base = (rows[0] as Row).reqPerSec;
  for (const row of rows) {
    const against = row.besideBaselineReqPerSec ?? base;
    row.ratioToBaseline = against > 0 ? row.reqPerSec / against : 0;
  }
  console.log('');
  printTable(rows);
  console.log(`\nserver RSS, Node flags as npm start: ${START_NODE_FLAGS.join(' ')} (target: idle ≤ 150 MB, under the bench ≤ 300 MB)`);
  for (const m of memory) console.log(`${m.engine.padEnd(8)}  idle ${m.idleMb ?? '?'} MB  under load ${m.underLoadMb} MB${m.pinned ? '' : '  (not pinned)'}`);

  const webhooks = process.env['BENCH_WEBHOOKS'] === '0' ? [] : await benchWebhookThroughput();
  if (webhooks.length > 0) {
    console.log('\nwebhook delivery throughput (events/s reaching a local receiver; target ≥ 5,000)');
    for (const row of webhooks) console.log(throughputLine(row));
  }
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);

  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  const report = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
    pinned: loadPinned,
    connections: CONNECTIONS,
    warmupSeconds: WARMUP_SECONDS,
    durationSeconds: DURATION_SECONDS,
    sliceSeconds: SLICE_SECONDS,
    skipped,
    results: rows,
    memory,
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
