import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { AuditLogTable } from '../../src/db/schema.ts';
import { insertsPerTurn } from '../../src/db/writes-per-turn.ts';
import { engines, openTestDatabase, type TestDatabase } from '../support/engines.ts';

/**
 * Rows asked for in one turn of the event loop are inserted together (src/db/writes-per-turn.ts):
 * what a caller notices is that its promise settles once its own row is in the table, and that a
 * row which cannot be written fails its own caller only, never the others written beside it.
 */

const row = (id: string): AuditLogTable => ({
  id,
  at: '2026-11-30T00:00:00.000Z',
  request_id: `req_${id}`,
  api_key_id: null,
  organization_id: 'org_writes',
  project_id: null,
  method: 'POST',
  route: '/v1/projects',
  status_code: 200,
});

for (const engine of engines) {
  describe(`inserts per turn (${engine})`, () => {
    let database: TestDatabase;
    const calls = { one: 0, many: 0 };
    const insert = insertsPerTurn<AuditLogTable>({
      one: (db, r) => {
        calls.one++;
        return db.insertInto('audit_log').values(r).execute();
      },
      many: (db, rows) => {
        calls.many++;
        return db.insertInto('audit_log').values([...rows]).execute();
      },
    });
    const stored = async (prefix: string) =>
      (await database.db.selectFrom('audit_log').select('id').where('id', 'like', `${prefix}%`).orderBy('id').execute()).map((r) => r.id);

    before(async () => {
      database = await openTestDatabase(engine);
    });
    after(() => database.destroy());
    beforeEach(() => Object.assign(calls, { one: 0, many: 0 }));

    test('the rows of one turn are written together; each caller settles once its row is stored', async () => {
      const ids = Array.from({ length: 300 }, (_, index) => `a${String(index).padStart(3, '0')}`);
      await Promise.all(
        ids.map(async (id) => {
          await insert(database.db, row(id));
          assert.ok((await stored(id)).includes(id), `${id} is stored when its caller hears so`);
        }),
      );
      assert.deepEqual(await stored('a'), ids);
      // Postgres: statements of up to 256 rows; SQLite: one prepared insert per row, in one transaction.
      assert.deepEqual(calls, engine === 'postgres' ? { one: 0, many: 2 } : { one: 300, many: 0 });
    });

    test('a row that cannot be written fails its own caller only', async () => {
      await insert(database.db, row('b_taken'));
      const outcomes = await Promise.allSettled(['b1', 'b_taken', 'b2'].map((id) => insert(database.db, row(id))));
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.deepEqual(await stored('b'), ['b1', 'b2', 'b_taken']);
    });

    test('a failure no row caused (a lock held past the busy timeout) fails the whole batch at once, with no retry per row', async () => {
      const busy = Object.assign(new Error('database is locked'), engine === 'postgres' ? { code: '57P03' } : { errcode: 5 });
      let attempts = 0;
      const refuse = async () => {
        attempts++;
        throw busy;
      };
      const failing = insertsPerTurn<AuditLogTable>({ one: refuse, many: refuse });
      const outcomes = await Promise.allSettled(['c1', 'c2', 'c3'].map((id) => failing(database.db, row(id))));
      assert.deepEqual(
        outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.status)),
        [busy, busy, busy],
      );
      assert.equal(attempts, 1, 'each retry would have waited out the busy timeout again');
      assert.deepEqual(await stored('c'), []);
    });
  });
}
