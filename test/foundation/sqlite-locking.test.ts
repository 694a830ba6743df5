import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { toApiError } from '../../src/http/error-handler.ts';

/**
 * The server and the operator CLI share one SQLite file (docs/operations.md, "The CLI beside a
 * running server"). The other process is played by a worker thread with its own connection: it
 * runs beside this thread, so it can hold or wait for a lock while this thread's statement waits.
 * SQLite only: Postgres has no file lock, and its transactions do not fail this way.
 */

/** Starts the other process; it reports `ready`, then each step's outcome as `{ step, ok, error }`. */
function otherProcess(file: string, script: string): Worker {
  return new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const { DatabaseSync } = require('node:sqlite');
     const database = new DatabaseSync(workerData.file, { timeout: 5000 });
     const report = (step, run) => {
       try { run(); parentPort.postMessage({ step, ok: true }); }
       catch (error) { parentPort.postMessage({ step, ok: false, error: error.message }); }
     };
     ${script}`,
    { eval: true, workerData: { file } },
  );
}

function nextMessage(worker: Worker): Promise<{ step: string; ok: boolean; error?: string }> {
  return once(worker, 'message').then(([message]) => message);
}

const insertOrganization = (id: string) =>
  `database.prepare("insert into organizations (id, name, suspended_at, created_at, updated_at) values ('${id}', 'other process', null, '2026-01-01', '2026-01-01')").run()`;

describe('SQLite shared with another process', () => {
  let directory: string;
  let file: string;
  let database: DatabaseHandle;

  before(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'layers-locking-'));
    file = path.join(directory, 'layers.db');
    database = openDatabase(`sqlite:${file}`);
    await migrateToLatest(database);
  });

  after(async () => {
    await database.destroy();
    rmSync(directory, { recursive: true, force: true });
  });

  test("a transaction that reads, then writes after the other process's commit, commits; the other process's write waits for it", async () => {
    const worker = otherProcess(file, `
      parentPort.once('message', () => report('write', () => ${insertOrganization('org_other_process')}));
      parentPort.postMessage({ step: 'ready', ok: true });`);
    try {
      await nextMessage(worker);
      await database.db.transaction().execute(async (trx) => {
        await trx.selectFrom('organizations').select('id').execute();
        // The other process writes now. Begun DEFERRED, this transaction would hold only a read
        // snapshot, the other write would commit at once, and the insert below would fail with
        // SQLITE_BUSY without waiting. Begun IMMEDIATE, the other write waits for this commit.
        worker.postMessage('write');
        const written = nextMessage(worker);
        const outcome = await Promise.race([written, new Promise((resolve) => setTimeout(resolve, 300, null))]);
        assert.equal(outcome, null, 'the other process wrote inside this transaction');
        await trx
          .insertInto('organizations')
          .values({ id: 'org_server', name: 'server', suspended_at: null, created_at: '2026-01-01', updated_at: '2026-01-01' })
          .execute();
      });
      assert.deepEqual(await nextMessage(worker), { step: 'write', ok: true }, 'the other process wrote once this transaction committed');
      const ids = await database.db.selectFrom('organizations').select('id').orderBy('id').execute();
      assert.deepEqual(ids.map((row) => row.id), ['org_other_process', 'org_server']);
    } finally {
      await worker.terminate();
    }
  });

  test('a lock held past the busy timeout is answered 503 with a retry hint, not 500', async () => {
    const worker = otherProcess(file, `
      database.exec('BEGIN IMMEDIATE');
      parentPort.once('message', () => { database.exec('ROLLBACK'); parentPort.postMessage({ step: 'released', ok: true }); });
      parentPort.postMessage({ step: 'ready', ok: true });`);
    const impatient = new DatabaseSync(file, { timeout: 0 });
    try {
      await nextMessage(worker);
      const busy = (() => {
        try {
          impatient.exec('BEGIN IMMEDIATE');
        } catch (error) {
          return error;
        }
        return null;
      })();
      assert.ok(busy, 'the write lock was free');
      const answer = toApiError(busy as never);
      assert.equal(answer.status, 503);
      assert.equal(answer.code, 'INTERNAL');
      assert.match(answer.message, /database is busy/);
      assert.deepEqual(answer.details, { retryAfterSeconds: 1 });
      worker.postMessage('release');
      await nextMessage(worker);
    } finally {
      impatient.close();
      await worker.terminate();
    }
  });

  test('opening the file while another process holds it alone waits for it instead of failing', async () => {
    // A process holds the file alone while it closes (its last checkpoint); exclusive locking mode
    // holds it the same way until the worker closes its connection, 300 ms after reporting. The
    // worker is then the file's only user, as the closing process is.
    await database.destroy();
    const worker = otherProcess(file, `
      database.exec('PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;');
      ${insertOrganization('org_exclusive')};
      database.exec('COMMIT');
      parentPort.postMessage({ step: 'ready', ok: true });
      setTimeout(() => { database.close(); parentPort.postMessage({ step: 'closed', ok: true }); }, 300);`);
    try {
      assert.deepEqual(await nextMessage(worker), { step: 'ready', ok: true });
      database = openDatabase(`sqlite:${file}`);
      const row = await database.db.selectFrom('organizations').select('id').where('id', '=', 'org_exclusive').executeTakeFirst();
      assert.deepEqual(row, { id: 'org_exclusive' });
    } finally {
      await worker.terminate();
    }
  });
});
