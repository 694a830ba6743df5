import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '../../src/clock.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/main.ts';
import { createTestBlobStore, type TestBlobStore } from '../support/blob-backends.ts';
import { fixture, FIXTURE_TYPES, type FixtureName } from '../support/media-server.ts';
import { api, createScratchDatabase, freePorts, runCli, startServerProcess, type ScratchDatabase, type ServerProcess } from '../support/server-process.ts';

/**
 * Two real `layers serve` processes over one Postgres database and one S3 bucket (a real S3-protocol
 * server on this machine): a direct upload started on one process is finalized on the other, and
 * either serves the result.
 */

const databaseUrl = process.env.TEST_DATABASE_URL;

interface Session {
  items: { containerId: string; files: { fileId: string; uploadUrl: string; uploadHeaders: Record<string, string> }[] }[];
}
interface Container {
  id: string;
  status: string;
  assets: { url: string; checksumSha256: string; mimeType: string }[];
}

if (databaseUrl) {
  describe('direct upload across two server processes (Postgres, S3)', { timeout: 90_000 }, () => {
    let emulator: RunningEmulator | undefined;
    let database: ScratchDatabase | undefined;
    let store: TestBlobStore | undefined;
    let dataDir: string | undefined;
    const servers: ServerProcess[] = [];
    let key: string;
    let projectId: string;

    before(async () => {
      emulator = await startEmulator({ port: 0, host: '127.0.0.1' });
      database = await createScratchDatabase(databaseUrl, 'mpc');
      store = await createTestBlobStore('s3', systemClock);
      dataDir = mkdtempSync(path.join(tmpdir(), 'layers-mpc-'));
      const env = {
        DATABASE_URL: database.url,
        LAYERS_SECRET_KEY: 'multiprocess-content-secret-0123456789abcdef',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        EMULATOR_URL: emulator.url,
        // One deployment, one public address: both processes mint the same asset URLs.
        PUBLIC_BASE_URL: 'http://layers.example.test',
        ...store.env,
      };
      const org = await runCli<{ id: string }>(['admin', 'org', 'create', '--name', 'Two processes'], env);
      key = (await runCli<{ key: string }>(['admin', 'key', 'create', '--org', org.id, '--scopes', '*', '--tier', 'internal', '--name', 'content'], env)).key;
      const ports = await freePorts(2);
      const started = await Promise.allSettled(ports.map((port) => startServerProcess(port, env)));
      for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      projectId = (await api<{ id: string }>(servers[0]?.url as string, 'POST', '/v1/projects', key, { name: 'Two processes', timezone: 'UTC' }, 201)).id;
    });

    after(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await emulator?.close();
      await database?.drop();
      await store?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    test('started on A, uploaded straight to the bucket, finalized on B, served by both', async () => {
      const [a, b] = servers as [ServerProcess, ServerProcess];
      const names: FixtureName[] = ['image.jpg', 'image.webp'];
      const session = await api<Session>(a.url, 'POST', `/v1/projects/${projectId}/content/uploads`, key, {
        files: names.map((name) => ({ filename: name, contentType: FIXTURE_TYPES[name], sizeBytes: fixture(name).length })),
        grouping: 'slideshow',
      }, 201);
      const [item] = session.items;
      assert.ok(item);
      for (const [i, file] of item.files.entries()) {
        assert.ok(file.uploadUrl.startsWith(store?.env.S3_ENDPOINT as string), 'the bytes go to the bucket, not through a server');
        const put = await fetch(file.uploadUrl, { method: 'PUT', headers: file.uploadHeaders, body: fixture(names[i] as FixtureName) });
        assert.equal(put.status, 200, await put.text());
      }
      const done = await api<Container>(b.url, 'POST', `/v1/content/${item.containerId}/finalize-upload`, key, { caption: 'across processes' });
      assert.equal(done.status, 'completed');
      assert.deepEqual(done.assets.map((asset) => asset.mimeType), ['image/jpeg', 'image/webp']);
      for (const [i, asset] of done.assets.entries()) {
        const bytes = fixture(names[i] as FixtureName);
        assert.equal(asset.checksumSha256, createHash('sha256').update(bytes).digest('hex'));
        const assetPath = new URL(asset.url).pathname;
        for (const server of [a, b]) {
          const served = await fetch(`${server.url}${assetPath}`);
          assert.equal(served.status, 200);
          assert.ok(Buffer.from(await served.arrayBuffer()).equals(bytes), `${server.url} serves the asset byte for byte`);
        }
      }
      const fromA = await api<Container>(a.url, 'GET', `/v1/content/${item.containerId}`, key);
      assert.deepEqual(fromA, done);
    });
  });
}
