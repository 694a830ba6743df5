import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../../src/api-keys/api-keys.ts';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createOrganization } from '../../src/organizations/organizations.ts';
import { deriveKey } from '../../src/secrets/master-key.ts';
import { engines, openTestDatabase, type TestDatabase } from '../support/engines.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { buildTestApp, TEST_MASTER_KEY, type TestApp } from '../support/test-app.ts';
import { dumpDatabase } from '../webhooks/helpers.ts';

/**
 * Finding 3: with an Idempotency-Key, the responses of endpoint create and rotate-secret (which
 * carry the `whsec_…` signing secret) sat verbatim in the idempotency table for 24 hours. Stored
 * responses are sealed by the vault; a replay still answers the first response byte for byte.
 */
for (const engine of engines) {
  describe(`stored idempotent responses are encrypted at rest (${engine})`, () => {
    let dir: string | null = null;
    let database: TestDatabase;
    let app: TestApp;
    let secret: string;
    const clock = new ManualClock();

    before(async () => {
      if (engine === 'sqlite') {
        dir = mkdtempSync(path.join(tmpdir(), 'layers-idem-'));
        const url = `sqlite:${path.join(dir, 'layers.db')}`;
        database = { ...openDatabase(url), url, schema: null };
        await migrateToLatest(database);
      } else {
        database = await openTestDatabase(engine);
      }
      app = await buildTestApp(database, clock);
      const org = await createOrganization(database.db, clock, 'Sealed Co');
      ({ secret } = await createApiKey(database.db, clock, deriveKey(TEST_MASTER_KEY, 'api-key-hash'), {
        organizationId: org.id,
        env: 'test',
        scopes: ['*'],
        returnDomains: ['localhost'],
        tier: 'internal',
      }));
    });
    after(async () => {
      await app.close();
      await database.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const post = (url: string, key: string, body?: unknown) =>
      app.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${secret}`, 'idempotency-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });

    /** Every byte the database holds: the SQLite files (WAL included), or every row of every table. */
    const everything = async (): Promise<string> => {
      if (!dir) return dumpDatabase(database);
      const file = path.join(dir, 'layers.db');
      return [file, `${file}-wal`, `${file}-shm`]
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f).toString('latin1'))
        .join('\n');
    };

    test('create and rotate-secret with Idempotency-Key: no whsec_ anywhere in the database, and both replay byte for byte', async () => {
      const created = await post('/v1/webhook-endpoints', 'create-1', { url: 'https://hooks.example.com/layers', events: ['test.ping'] });
      assert.equal(created.statusCode, 201, created.body);
      const { endpoint, signingSecret } = created.json() as { endpoint: { id: string }; signingSecret: string };
      assert.match(signingSecret, /^whsec_/);
      const rotated = await post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, 'rotate-1');
      assert.equal(rotated.statusCode, 200, rotated.body);
      const rotatedSecret = (rotated.json() as { signingSecret: string }).signingSecret;

      const stored = await everything();
      assert.ok(stored.includes(endpoint.id), 'the dump holds the endpoint row (it is a real dump)');
      assert.ok(!stored.includes('whsec_'), 'no signing secret, nor any whsec_ prefix, is stored in the clear');
      for (const value of [signingSecret, rotatedSecret]) assert.ok(!stored.includes(value.slice(6)));

      const records = await database.db.selectFrom('idempotency_records').selectAll().execute();
      assert.equal(records.length, 2);
      for (const record of records) assert.match(record.response_body ?? '', /^dk_[0-9a-f-]{36}\.[A-Za-z0-9_-]+$/, 'sealed: <data key id>.<AES-GCM>');

      const replayCreate = await post('/v1/webhook-endpoints', 'create-1', { url: 'https://hooks.example.com/layers', events: ['test.ping'] });
      assert.equal(replayCreate.statusCode, 201);
      assert.equal(replayCreate.headers['idempotent-replayed'], 'true');
      assert.equal(replayCreate.body, created.body, 'byte for byte, the secret included');
      const replayRotate = await post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, 'rotate-1');
      assert.equal(replayRotate.headers['idempotent-replayed'], 'true');
      assert.equal(replayRotate.body, rotated.body);
    });

    test('a sealed response opens only as its own record: moved to another key, the replay fails instead of leaking', async () => {
      const first = await post('/v1/projects', 'project-a', { name: 'Sealed A', timezone: 'UTC' });
      const second = await post('/v1/projects', 'project-b', { name: 'Sealed B', timezone: 'UTC' });
      assert.equal(first.statusCode, 201);
      assert.equal(second.statusCode, 201);
      const a = await database.db.selectFrom('idempotency_records').select('response_body').where('idempotency_key', '=', 'project-a').executeTakeFirstOrThrow();
      await database.db.updateTable('idempotency_records').set({ response_body: a.response_body }).where('idempotency_key', '=', 'project-b').execute();
      const replay = await post('/v1/projects', 'project-b', { name: 'Sealed B', timezone: 'UTC' });
      assert.equal(replay.statusCode, 500);
      assert.ok(!replay.body.includes('Sealed A'));
    });
  });
}
