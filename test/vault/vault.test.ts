import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createVault, VaultKeyUnavailableError } from '../../src/vault/vault.ts';
import { engines, openTestDatabase, type TestDatabase } from '../support/engines.ts';
import { ManualClock } from '../support/manual-clock.ts';

const OLD_MASTER = 'old-master-secret-0123456789-0123456789-abcdef';
const NEW_MASTER = 'new-master-secret-9876543210-9876543210-fedcba';

for (const engine of engines) {
  describe(`vault (${engine})`, () => {
    let database: TestDatabase;
    const clock = new ManualClock();
    before(async () => {
      database = await openTestDatabase(engine);
    });
    after(() => database.destroy());

    test('stores values encrypted and reads them back', async () => {
      const vault = createVault({ masterSecret: OLD_MASTER, clock });
      await database.db.transaction().execute((trx) => vault.put(trx, 've_plain', { accessToken: 'act.super-secret-token' }));
      assert.deepEqual(await vault.get(database.db, 've_plain'), { accessToken: 'act.super-secret-token' });
      const row = await database.db.selectFrom('vault_entries').selectAll().where('id', '=', 've_plain').executeTakeFirstOrThrow();
      assert.ok(!row.ciphertext.includes('super-secret'));
      assert.ok(!Buffer.from(row.ciphertext, 'base64url').toString('latin1').includes('super-secret'));
      const key = await database.db.selectFrom('vault_data_keys').selectAll().where('id', '=', row.data_key_id).executeTakeFirstOrThrow();
      assert.notEqual(key.wrapped_key.length, 0);
    });

    test('a ciphertext moved to another entry, or altered, does not decrypt', async () => {
      const vault = createVault({ masterSecret: OLD_MASTER, clock });
      await database.db.transaction().execute((trx) => vault.put(trx, 've_a', 'token-a'));
      await database.db.transaction().execute((trx) => vault.put(trx, 've_b', 'token-b'));
      const a = await database.db.selectFrom('vault_entries').selectAll().where('id', '=', 've_a').executeTakeFirstOrThrow();
      await database.db.updateTable('vault_entries').set({ ciphertext: a.ciphertext }).where('id', '=', 've_b').execute();
      await assert.rejects(vault.get(database.db, 've_b'));
      // One bit of the last byte flipped. (Rewriting the text's last characters could change only
      // the unused bits of its last base64 character, and decode to the same bytes.)
      const raw = Buffer.from(a.ciphertext, 'base64url');
      raw.writeUInt8(raw.readUInt8(raw.length - 1) ^ 1, raw.length - 1);
      const flipped = raw.toString('base64url');
      await database.db.updateTable('vault_entries').set({ ciphertext: flipped }).where('id', '=', 've_a').execute();
      await assert.rejects(vault.get(database.db, 've_a'));
    });

    test('rotation re-wraps data keys under the new master; the old master is then no longer needed', async () => {
      const before = createVault({ masterSecret: OLD_MASTER, clock });
      await database.db.transaction().execute((trx) => before.put(trx, 've_rotate', { refreshToken: 'rft.keep-me' }));

      const withoutPrevious = createVault({ masterSecret: NEW_MASTER, clock });
      await assert.rejects(withoutPrevious.get(database.db, 've_rotate'), VaultKeyUnavailableError);

      const during = createVault({ masterSecret: NEW_MASTER, previousMasterSecrets: [OLD_MASTER], clock });
      assert.deepEqual(await during.get(database.db, 've_rotate'), { refreshToken: 'rft.keep-me' });
      const result = await during.rotate(database.db);
      assert.ok(result.rewrapped >= 1);
      assert.deepEqual(await during.rotate(database.db), { rewrapped: 0, alreadyCurrent: result.rewrapped + result.alreadyCurrent });

      const afterwards = createVault({ masterSecret: NEW_MASTER, clock });
      assert.deepEqual(await afterwards.get(database.db, 've_rotate'), { refreshToken: 'rft.keep-me' });
      const oldOnly = createVault({ masterSecret: OLD_MASTER, clock });
      await assert.rejects(oldOnly.get(database.db, 've_rotate'), VaultKeyUnavailableError);
    });

    test('a data key created in a transaction that rolls back is not used afterwards', async () => {
      const fresh = await openTestDatabase(engine);
      try {
        const vault = createVault({ masterSecret: OLD_MASTER, clock });
        await assert.rejects(
          fresh.db.transaction().execute(async (trx) => {
            await vault.put(trx, 've_rolled_back', 'gone');
            throw new Error('the request failed after storing its secret');
          }),
          /request failed/,
        );
        await fresh.db.transaction().execute((trx) => vault.put(trx, 've_after', 'kept'));
        assert.equal(await vault.get(fresh.db, 've_after'), 'kept');
        assert.equal(await vault.get(fresh.db, 've_rolled_back'), null);
      } finally {
        await fresh.destroy();
      }
    });

    // Only Postgres runs transactions side by side; SQLite's one connection takes them in turn.
    if (engine === 'postgres') test('transactions that store their first secrets at once each see a committed data key', async () => {
      const fresh = await openTestDatabase(engine);
      try {
        const vault = createVault({ masterSecret: OLD_MASTER, clock });
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        // The first transaction creates the data key and stays open while the second stores its secret.
        const first = fresh.db.transaction().execute(async (trx) => {
          await vault.put(trx, 've_first', 'one');
          await held;
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        try {
          await fresh.db.transaction().execute((trx) => vault.put(trx, 've_second', 'two'));
        } finally {
          release();
          await first;
        }
        assert.equal(await vault.get(fresh.db, 've_first'), 'one');
        assert.equal(await vault.get(fresh.db, 've_second'), 'two');
      } finally {
        await fresh.destroy();
      }
    });

    test('destroy removes the entry', async () => {
      const vault = createVault({ masterSecret: NEW_MASTER, clock });
      await database.db.transaction().execute((trx) => vault.put(trx, 've_gone', 'x'));
      await database.db.transaction().execute((trx) => vault.destroy(trx, 've_gone'));
      assert.equal(await vault.get(database.db, 've_gone'), null);
    });
  });
}
