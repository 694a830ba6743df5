import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, PAGE_CACHE_KIB, type DatabaseHandle } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { ioCallsSoFar } from '../support/io-calls.ts';

/**
 * A SQLite connection keeps the pages it works over: a working set of half its page cache (8 MiB,
 * four times SQLite's default cache of 2 MiB), read once, is read again without asking the kernel
 * for a page (docs/performance.md, "Nineteenth round"). SQLite only: Postgres caches in its own
 * server. Linux only, as it counts the process's read calls in /proc.
 */

let directory: string;
let database: DatabaseHandle;

before(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'layers-page-cache-'));
  database = openDatabase(`sqlite:${path.join(directory, 'layers.db')}`);
  await migrateToLatest(database);
});
after(async () => {
  await database.destroy();
  rmSync(directory, { recursive: true, force: true });
});

test('a working set of half the page cache is read a second time without a read call', async () => {
  // Rows of 3 KB, a page each: (PAGE_CACHE_KIB / 2) KiB of them.
  const rows = Math.floor(PAGE_CACHE_KIB / 2 / 4);
  const at = '2026-01-01T00:00:00.000Z';
  for (let first = 0; first < rows; first += 500) {
    const batch = Array.from({ length: Math.min(500, rows - first) }, (_, index) => {
      const id = `org_${String(first + index).padStart(6, '0')}`;
      return { id, name: id.padEnd(3000, 'x'), suspended_at: null, created_at: at, updated_at: at };
    });
    await database.db.insertInto('organizations').values(batch).execute();
  }
  // Into the database file, so every page is read from it and none from the WAL.
  await sql`pragma wal_checkpoint(truncate)`.execute(database.db);
  const readAll = async () => {
    const before = ioCallsSoFar('read');
    const { rows: read } = await sql<{ total: number }>`select sum(length(name)) as total from organizations`.execute(database.db);
    assert.equal(read[0]?.total, rows * 3000);
    return ioCallsSoFar('read') - before;
  };

  await readAll();
  const again = await readAll();
  // With SQLite's default 2 MiB, a pass over 8 MiB of pages read each one from the kernel again.
  assert.ok(again <= 5, `reading ${rows} pages a second time made ${again} read calls`);
});
