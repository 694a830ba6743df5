import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { ioCallsSoFar } from '../support/io-calls.ts';

/**
 * The transactions of one turn of the event loop commit together on SQLite (src/db/sqlite-dialect.ts,
 * docs/performance.md, "Group commit"). What a caller can notice: its commit returns only once its
 * rows are committed (another connection sees them), a failing transaction takes nothing of the others
 * with it, a failed commit fails every member, and the WAL grows by the pages of one commit, not one
 * per transaction. SQLite only: Postgres commits each transaction on its own connection.
 */

const organization = (id: string) => ({ id, name: id, suspended_at: null, created_at: '2026-01-01', updated_at: '2026-01-01' });

describe('SQLite group commit', () => {
  let directory: string;
  let file: string;
  let database: DatabaseHandle;
  /** Another connection to the file, as another process would have. */
  let other: DatabaseSync;

  before(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'layers-group-commit-'));
    file = path.join(directory, 'layers.db');
    database = openDatabase(`sqlite:${file}`);
    await migrateToLatest(database);
    // A child whose parent is checked at commit: the one way a commit itself fails on a healthy disk.
    await sql`create table deferred_child (id text primary key, parent_id text references organizations (id) deferrable initially deferred)`.execute(database.db);
    other = new DatabaseSync(file, { timeout: 5000 });
  });
  after(async () => {
    other.close();
    await database.destroy();
    rmSync(directory, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await database.db.deleteFrom('organizations').execute();
  });

  const committedIds = () => (other.prepare('select id from organizations order by id').all() as Array<{ id: string }>).map((row) => row.id);

  test("each member's commit returns only once its row is committed, as another connection sees it", async () => {
    const seenAtCommit = await Promise.all(
      ['org_a', 'org_b', 'org_c'].map((id) =>
        database.db
          .transaction()
          .execute((trx) => trx.insertInto('organizations').values(organization(id)).execute())
          .then(() => committedIds().includes(id)),
      ),
    );
    assert.deepEqual(seenAtCommit, [true, true, true]);
  });

  test('a failing transaction rolls back its own work only; the others of its turn commit', async () => {
    const outcomes = await Promise.allSettled([
      database.db.transaction().execute((trx) => trx.insertInto('organizations').values(organization('org_kept_1')).execute()),
      database.db.transaction().execute(async (trx) => {
        await trx.insertInto('organizations').values(organization('org_undone')).execute();
        throw new Error('the handler refused');
      }),
      database.db.transaction().execute((trx) => trx.insertInto('organizations').values(organization('org_kept_2')).execute()),
    ]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(committedIds(), ['org_kept_1', 'org_kept_2']);
  });

  test('a commit that fails fails every member of the group, and commits nothing of theirs', async () => {
    const outcomes = await Promise.allSettled([
      database.db.transaction().execute((trx) => trx.insertInto('organizations').values(organization('org_lost')).execute()),
      // Valid until the commit checks the deferred reference.
      database.db.transaction().execute((trx) => sql`insert into deferred_child (id, parent_id) values ('child', 'org_absent')`.execute(trx)),
    ]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['rejected', 'rejected']);
    assert.match(String((outcomes[0] as PromiseRejectedResult).reason), /FOREIGN KEY/);
    assert.deepEqual(committedIds(), []);
    // The connection is usable afterwards.
    await database.db.transaction().execute((trx) => trx.insertInto('organizations').values(organization('org_after')).execute());
    assert.deepEqual(committedIds(), ['org_after']);
  });

  test('a statement outside a transaction runs after the open group has committed, and sees it', async () => {
    const member = database.db.transaction().execute((trx) => trx.insertInto('organizations').values(organization('org_member')).execute());
    const plain = database.db.selectFrom('organizations').select('id').execute();
    const [, rows] = await Promise.all([member, plain]);
    assert.deepEqual(rows.map((row) => row.id), ['org_member']);
  });

  test('the transactions of one turn write the WAL frames of one commit, not one commit each', async () => {
    other.exec('pragma wal_checkpoint(truncate)');
    const walBytes = () => statSync(`${file}-wal`).size;
    const before = walBytes();
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        database.db.transaction().execute((trx) => trx.insertInto('organizations').values(organization(`org_${String(index).padStart(2, '0')}`)).execute()),
      ),
    );
    const pageSize = (other.prepare('pragma page_size').get() as { page_size: number }).page_size;
    const frames = (walBytes() - Math.max(before, 32)) / (pageSize + 24);
    assert.equal(committedIds().length, 20);
    // One commit of 20 rows changes the table's page and its indexes' pages; 20 commits would append
    // those pages 20 times over.
    assert.ok(frames < 10, `20 transactions appended ${frames} WAL frames`);
  });

  test("a transaction's savepoint is journaled in memory: its commit writes the WAL and nothing else", async () => {
    // 40 rows of 3 KB, a page each, committed.
    const names = Array.from({ length: 40 }, (_, index) => `org_${String(index).padStart(2, '0')}`);
    await database.db.insertInto('organizations').values(names.map((id) => ({ ...organization(id), name: 'a'.repeat(3000) }))).execute();
    other.exec('pragma wal_checkpoint(truncate)');
    const walBytes = () => statSync(`${file}-wal`).size;
    const walBefore = walBytes();
    const writesBefore = ioCallsSoFar('write');
    // A member of a group is a savepoint, and each page it changes that existed when it began is
    // copied to the sub-journal first: 40 pages here, as a turn's consent URLs change a random page
    // of their index each. Past 64 KiB SQLite would spill the sub-journal to a temporary file, a
    // write per page (docs/performance.md, "Eighteenth round").
    await database.db.transaction().execute(async (trx) => {
      for (const id of names) await trx.updateTable('organizations').set({ name: 'b'.repeat(3000) }).where('id', '=', id).execute();
    });
    const writes = ioCallsSoFar('write') - writesBefore;
    const pageSize = (other.prepare('pragma page_size').get() as { page_size: number }).page_size;
    const frames = (walBytes() - Math.max(walBefore, 32)) / (pageSize + 24);
    assert.equal((other.prepare("select count(*) as renamed from organizations where name like 'b%'").get() as { renamed: number }).renamed, 40);
    assert.ok(frames >= 40, `the transaction appended ${frames} WAL frames`);
    // A frame is two writes (its header, its page), and the WAL's own header a few more.
    assert.ok(writes <= 2 * frames + 6, `the transaction's commit made ${writes} writes for ${frames} WAL frames`);
  });
});
