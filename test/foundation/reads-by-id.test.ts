import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import { readsById } from '../../src/db/reads-by-id.ts';
import { engines, openTestDatabase, type TestDatabase } from '../support/engines.ts';

const organizationsById = readsById((db, ids) => db.selectFrom('organizations').select(['id', 'name']).where('id', 'in', ids));

const organization = (id: string) => ({ id, name: `name of ${id}`, suspended_at: null, created_at: '2026-01-01', updated_at: '2026-01-01' });

/** Counts the queries a database runs (a plugin sees every result). */
function countingQueries(): { plugin: KyselyPlugin; count: () => number } {
  let queries = 0;
  return {
    plugin: {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        queries += 1;
        return args.result;
      },
    },
    count: () => queries,
  };
}

for (const engine of engines) {
  describe(`reads by id (${engine})`, () => {
    let database: TestDatabase;

    before(async () => {
      database = await openTestDatabase(engine);
      await database.db.insertInto('organizations').values(Array.from({ length: 70 }, (_, index) => organization(`org_${index}`))).execute();
    });
    after(() => database.destroy());

    test('many answers the rows of the ids that exist, across more ids than one query carries', async () => {
      const ids = [...Array.from({ length: 70 }, (_, index) => `org_${index}`), 'org_absent', 'org_3'];
      const rows = await organizationsById.many(database.db, ids);
      assert.equal(rows.size, 70);
      assert.deepEqual(rows.get('org_69'), { id: 'org_69', name: 'name of org_69' });
      assert.equal(rows.has('org_absent'), false);
    });

    test('one answers each caller its own row, and undefined for an absent id', async () => {
      const answers = await Promise.all(['org_1', 'org_absent', 'org_2', 'org_1'].map((id) => organizationsById.one(database.db, id)));
      assert.deepEqual(answers, [{ id: 'org_1', name: 'name of org_1' }, undefined, { id: 'org_2', name: 'name of org_2' }, { id: 'org_1', name: 'name of org_1' }]);
    });

    test('a row committed before a caller asks is in its answer, even while an earlier read is in flight', async () => {
      const inFlight = organizationsById.one(database.db, 'org_5');
      await database.db.insertInto('organizations').values(organization('org_late')).execute();
      const late = organizationsById.one(database.db, 'org_late');
      assert.deepEqual(await inFlight, { id: 'org_5', name: 'name of org_5' });
      assert.deepEqual(await late, { id: 'org_late', name: 'name of org_late' });
    });

    test("inside a transaction one reads the transaction's own rows", async () => {
      await database.db.transaction().execute(async (trx) => {
        await trx.insertInto('organizations').values(organization('org_uncommitted')).execute();
        assert.deepEqual(await organizationsById.one(trx, 'org_uncommitted'), { id: 'org_uncommitted', name: 'name of org_uncommitted' });
        await trx.deleteFrom('organizations').where('id', '=', 'org_uncommitted').execute();
      });
    });

    test('concurrent callers share queries: on Postgres those waiting for a read, on SQLite those of one turn of the event loop', async () => {
      const { plugin, count } = countingQueries();
      const db = database.db.withPlugin(plugin);
      const ids = Array.from({ length: 20 }, (_, index) => `org_${index}`);
      const answers = await Promise.all(ids.map((id) => organizationsById.one(db, id)));
      assert.deepEqual(answers.map((row) => row?.id), ids);
      if (engine === 'postgres') assert.ok(count() <= 2, `20 concurrent callers ran ${count()} queries (the first alone, then the others together)`);
      else assert.equal(count(), 1, '20 callers of one turn share one query');
    });
  });
}
