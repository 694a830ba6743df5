import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import path from 'node:path';
import pg from 'pg';

/**
 * Real `layers` processes for tests and benchmarks: `layers serve` as `npm start` runs it (which a test may
 * SIGKILL), the admin CLI, each spawned with an explicit environment, plus the scratch Postgres
 * database they run on and a few helpers for driving them over HTTP.
 */

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
/** The `layers` command (bin/layers.js), as `npx layers` runs it. */
const CLI = path.join(REPO_ROOT, 'bin/layers.js');

/** package.json's start script, `node <flags> <entry> serve`, split into its words after `node`. */
const START_WORDS = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
  .split(/\s+/)
  .slice(1);
/**
 * The Node flags `npm start` gives the server (e.g. `--max-semi-space-size=4`) and the entry it runs
 * (bin/layers.js, which turns on Node's compile cache): server processes run the same way, so what
 * tests and benchmarks see (memory above all) is what `npm start` runs.
 */
export const START_NODE_FLAGS: readonly string[] = START_WORDS.filter((word) => word.startsWith('--'));
export const START_ENTRY = path.join(REPO_ROOT, START_WORDS.find((word) => !word.startsWith('--')) as string);

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last resort: whatever ends this process (an assertion, an uncaught error) takes its children along. */
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', killAllChildren);
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Kills every child still running (SIGKILL); for signal handlers. */
export function killAllChildren(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** Only what the child needs: nothing of the caller's DATABASE_URL, NODE_ENV or test-runner context leaks in. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', ...env };
}

/** `count` distinct free loopback ports (held open together so they differ, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Runs `layers <args> --json` and returns the one JSON object it printed; throws with its output on failure. */
export async function runCli<T = Record<string, unknown>>(args: string[], env: Record<string, string>): Promise<T> {
  const { stdout, stderr, failure } = await new Promise<{ stdout: string; stderr: string; failure: string | null }>((resolve) => {
    execFile(process.execPath, [CLI, ...args, '--json'], { cwd: REPO_ROOT, env: childEnv(env), timeout: 30_000 }, (error, out, err) => {
      const failure = error ? (error.signal ? `was killed (${error.signal})` : `exited ${error.code ?? 1}`) : null;
      resolve({ stdout: String(out), stderr: String(err), failure });
    });
  });
  if (failure) throw new Error(`layers ${args.join(' ')} ${failure}: ${stdout}${stderr}`);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
}

export interface ServerProcess {
  url: string;
  port: number;
  /** The child's process id (to read its memory from /proc). */
  pid: number;
  /** The last 20,000 characters the process printed (for failure messages). */
  output(): string;
  /** How the process ended, or null while it runs. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** SIGKILL: no drain, no cleanup, as a crash or an OOM kill would. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/**
 * Spawns `layers serve` on `port` as `npm start` does (its entry, and its Node flags in NODE_OPTIONS
 * unless `env` gives its own) and resolves once GET /readyz answers 200.
 * `onOutput` sees everything it prints (output() keeps only the end).
 */
export async function startServerProcess(
  port: number,
  env: Record<string, string>,
  readyTimeoutMs = 30_000,
  onOutput?: (text: string) => void,
): Promise<ServerProcess> {
  return startProcess(
    [START_ENTRY, 'serve'],
    port,
    { NODE_OPTIONS: START_NODE_FLAGS.join(' '), ...env, HOST: '127.0.0.1', PORT: String(port) },
    '/readyz',
    readyTimeoutMs,
    onOutput,
  );
}

/** Spawns any `node <args>` that listens on `port` and resolves once GET `readyPath` answers 200. */
export async function startProcess(
  args: string[],
  port: number,
  env: Record<string, string>,
  readyPath: string,
  readyTimeoutMs = 30_000,
  onOutput?: (text: string) => void,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    onOutput?.(chunk.toString());
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exitedPromise.then(() => {
    exited = true;
  });
  const signal = async (sig: 'SIGTERM' | 'SIGKILL') => {
    if (exited) return;
    child.kill(sig);
    const timer = sig === 'SIGKILL' ? null : setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exitedPromise;
    if (timer) clearTimeout(timer);
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) throw new Error(`${args.join(' ')} exited before it was ready (code ${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await signal('SIGKILL');
      throw new Error(`${args.join(' ')} not ready on ${url} after ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    port,
    pid: child.pid as number,
    output: () => output,
    exit: () => (exited ? { code: child.exitCode, signal: child.signalCode } : null),
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
  };
}

export interface ScratchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A new, empty Postgres database next to the one `adminUrl` names (dropped, with its connections, by `drop()`). */
export async function createScratchDatabase(adminUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => withClient(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`)),
  };
}

async function withClient(url: string, run: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    await run(client);
  } finally {
    await client.end();
  }
}

/** A JSON API call against a server process; throws unless the status is `expected`. */
export async function api<T>(
  baseUrl: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  route: string,
  secret: string,
  body?: unknown,
  expected = 200,
): Promise<T> {
  const res = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (res.status !== expected) throw new Error(`${method} ${route} answered ${res.status} (expected ${expected}): ${text}`);
  return JSON.parse(text) as T;
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** Waits until `done()` holds, checking every `everyMs`; false when `timeoutMs` passed first. */
export async function waitFor(done: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await done()) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return done();
}
