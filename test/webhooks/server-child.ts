import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';

/**
 * A real `layers serve` child process that a test can SIGKILL, the operator CLI, and a scratch
 * Postgres database: for the durability test and the webhook benchmark.
 */

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(REPO_ROOT, 'src/cli/main.ts');

const children = new Set<ChildProcess>();
let exitHook = false;

/** Whatever ends this process takes the children it started along (by their own handles). */
function track(child: ChildProcess): void {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of children) c.kill('SIGKILL');
    });
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Only what the child needs: nothing of the caller's environment (DATABASE_URL, NODE_ENV, test runner) leaks in. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', ...env };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `node src/cli/main.ts <args> --json`: the one JSON object it printed. */
export async function runCli<T = Record<string, unknown>>(args: string[], env: Record<string, string>): Promise<T> {
  const { stdout, stderr, failed } = await new Promise<{ stdout: string; stderr: string; failed: boolean }>((resolve) => {
    execFile(process.execPath, [CLI, ...args, '--json'], { cwd: REPO_ROOT, env: childEnv(env), timeout: 30_000 }, (error, out, err) => {
      resolve({ stdout: String(out), stderr: String(err), failed: error !== null });
    });
  });
  if (failed) throw new Error(`layers ${args.join(' ')} failed: ${stdout}${stderr}`);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
}

export interface ServerChild {
  url: string;
  pid: number;
  output(): string;
  /** SIGKILL: no drain, no cleanup, as a crash or an OOM kill would. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/** Spawns `node src/cli/main.ts serve` on `port` and resolves once GET /readyz answers 200. */
export async function startServerChild(port: number, env: Record<string, string>, readyTimeoutMs = 30_000): Promise<ServerChild> {
  const child = spawn(process.execPath, [CLI, 'serve'], {
    cwd: REPO_ROOT,
    env: childEnv({ ...env, HOST: '127.0.0.1', PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const signal = async (sig: NodeJS.Signals) => {
    if (done) return;
    child.kill(sig);
    const timer = sig === 'SIGKILL' ? null : setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    if (timer) clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (done) throw new Error(`layers serve exited before it was ready (code ${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await signal('SIGKILL');
      throw new Error(`layers serve not ready on ${url} after ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, pid: child.pid as number, output: () => output, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM') };
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty Postgres database next to the one `adminUrl` names (dropped by `drop()`). */
export async function createScratchDatabase(adminUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => withClient(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`)) };
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

/** A JSON API call against a server child; throws unless the status is `expected`. */
export async function api<T>(baseUrl: string, method: 'GET' | 'POST' | 'PATCH', route: string, secret: string, body?: unknown, expected = 200): Promise<T> {
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
