import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { ENDPOINT_CLASSES, REQUESTS_PER_MINUTE, TIERS } from '../../src/api-keys/tiers.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/main.ts';
import { createScratchDatabase, freePorts, runCli, startServerProcess, type ScratchDatabase, type ServerProcess } from '../support/server-process.ts';

/**
 * Two real `layers serve` processes over one Postgres database and one Redis: what docs/reference/conventions.md
 * promises "across all server processes" (rate-limit budgets, kill switches) is checked between
 * processes, not between two apps in one process.
 */

const databaseUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;

interface CreatedKey {
  id: string;
  key: string;
}

interface Reply {
  status: number;
  headers: Headers;
  body: { error?: { code: string; message: string; requestId: string; details?: Record<string, unknown> } } & Record<string, unknown>;
}

async function call(baseUrl: string, method: 'GET' | 'POST', route: string, secret: string): Promise<Reply> {
  const res = await fetch(`${baseUrl}${route}`, { method, headers: { authorization: `Bearer ${secret}` }, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Reply['body'] };
}

function assertKillSwitch(reply: Reply, scope: 'key' | 'global', where: string): void {
  assert.equal(reply.status, 503, `${where}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body.error?.code, 'KILL_SWITCH', where);
  assert.deepEqual(reply.body.error?.details, { scope }, where);
}

if (databaseUrl && redisUrl) {
  describe('two server processes sharing Postgres and Redis', { timeout: 60_000 }, () => {
    let emulator: RunningEmulator | undefined;
    let database: ScratchDatabase | undefined;
    let dataDir: string | undefined;
    let env: Record<string, string>;
    const servers: ServerProcess[] = [];
    let a: ServerProcess;
    let b: ServerProcess;
    let reader: CreatedKey;
    let victim: CreatedKey;
    let operator: CreatedKey;

    before(async () => {
      emulator = await startEmulator({ port: 0, host: '127.0.0.1' });
      database = await createScratchDatabase(databaseUrl, 'mp');
      dataDir = mkdtempSync(path.join(tmpdir(), 'layers-mp-'));
      env = {
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        LAYERS_SECRET_KEY: 'multiprocess-test-secret-0123456789abcdef',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        EMULATOR_URL: emulator.url,
      };
      // The organization exists before the servers start, so neither creates a demo tenant.
      const org = await runCli<{ id: string }>(['admin', 'org', 'create', '--name', 'Multiprocess'], env);
      const keyArgs = (name: string) => ['admin', 'key', 'create', '--org', org.id, '--scopes', '*', '--tier', 'standard', '--name', name];
      [reader, victim, operator] = (await Promise.all(['reader', 'victim', 'operator'].map((name) => runCli<CreatedKey>(keyArgs(name), env)))) as [
        CreatedKey,
        CreatedKey,
        CreatedKey,
      ];

      const [portA, portB] = (await freePorts(2)) as [number, number];
      const started = await Promise.allSettled([startServerProcess(portA, env), startServerProcess(portB, env)]);
      for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      [a, b] = servers as [ServerProcess, ServerProcess];
    });

    after(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await emulator?.close();
      await database?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      const keyIds = [reader, victim, operator].filter(Boolean).map((k) => k.id);
      if (keyIds.length > 0 && redisUrl) {
        const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
        try {
          await redis.del(...keyIds.flatMap((id) => TIERS.flatMap((tier) => ENDPOINT_CLASSES.map((cls) => `layers:rl:${tier}:${cls}:${id}`))));
        } finally {
          redis.disconnect();
        }
      }
    });

    test('one key has one read budget across both processes', async (t) => {
      const limit = REQUESTS_PER_MINUTE.standard.read;
      const replies = await Promise.all(
        Array.from({ length: 200 }, (_, i) => call(i % 2 === 0 ? a.url : b.url, 'GET', '/v1/whoami', reader.key)),
      );
      const ok = replies.filter((r) => r.status === 200);
      const limited = replies.filter((r) => r.status === 429);
      assert.equal(ok.length + limited.length, 200, `only 200 and 429: ${[...new Set(replies.map((r) => r.status))].join(', ')}`);
      t.diagnostic(`${ok.length} × 200, ${limited.length} × 429 (limit ${limit})`);
      assert.ok(ok.length >= 1, 'some requests pass');
      // Separate per-process budgets would let every one of the 200 through (100 per process).
      assert.ok(ok.length <= limit, `${ok.length} requests passed a shared budget of ${limit}`);
      for (const r of limited) {
        assert.equal(r.body.error?.code, 'RATE_LIMITED');
        assert.deepEqual(Object.keys(r.body.error ?? {}).sort(), ['code', 'details', 'message', 'requestId']);
        assert.equal(r.body.error?.requestId, r.headers.get('x-request-id'));
        assert.equal(r.body.error?.details?.endpointClass, 'read');
        const retryAfter = r.body.error?.details?.retryAfterSeconds as number;
        assert.ok(retryAfter >= 1 && retryAfter <= 60, `retryAfterSeconds ${retryAfter}`);
        assert.equal(r.headers.get('retry-after'), String(retryAfter));
        assert.equal(r.headers.get('x-ratelimit-limit'), String(limit));
        assert.equal(r.headers.get('x-ratelimit-remaining'), '0');
      }
    });

    test('a key killed through process A is refused by process B on its next request', async () => {
      assert.equal((await call(b.url, 'GET', '/v1/whoami', victim.key)).status, 200);
      const killed = await call(a.url, 'POST', `/v1/api-keys/${victim.id}/kill`, operator.key);
      assert.equal(killed.status, 200, JSON.stringify(killed.body));
      assert.equal(killed.body.status, 'killed');
      assertKillSwitch(await call(b.url, 'GET', '/v1/whoami', victim.key), 'key', 'process B');
      assertKillSwitch(await call(a.url, 'GET', '/v1/whoami', victim.key), 'key', 'process A');
      assert.equal((await call(b.url, 'GET', '/v1/whoami', operator.key)).status, 200, 'the other key still works');
    });

    test('the global kill switch set through the CLI stops both processes, and lifting it restarts them', async () => {
      assert.deepEqual(await runCli(['admin', 'global-kill', 'on'], env), { globalKill: true });
      try {
        assertKillSwitch(await call(a.url, 'GET', '/v1/whoami', operator.key), 'global', 'process A');
        assertKillSwitch(await call(b.url, 'GET', '/v1/whoami', operator.key), 'global', 'process B');
      } finally {
        assert.deepEqual(await runCli(['admin', 'global-kill', 'off'], env), { globalKill: false });
      }
      assert.equal((await call(a.url, 'GET', '/v1/whoami', operator.key)).status, 200);
      assert.equal((await call(b.url, 'GET', '/v1/whoami', operator.key)).status, 200);
    });
  });
}
