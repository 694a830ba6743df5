import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../../src/api-keys/api-keys.ts';
import { createOrganization } from '../../src/organizations/organizations.ts';
import { deriveApiKeyHashKeys } from '../../src/secrets/master-key.ts';
import { createVault } from '../../src/vault/vault.ts';
import { engines, openTestDatabase, type TestDatabase } from '../support/engines.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { buildTestApp } from '../support/test-app.ts';

const OLD_MASTER = 'the-old-master-secret-0123456789-0123456789';
const NEW_MASTER = 'the-new-master-secret-9876543210-9876543210';

for (const engine of engines) {
  describe(`rotating LAYERS_SECRET_KEY (${engine})`, () => {
    let database: TestDatabase;
    const clock = new ManualClock();
    let secret: string;
    before(async () => {
      database = await openTestDatabase(engine);
      const org = await createOrganization(database.db, clock, 'Rotating org');
      ({ secret } = await createApiKey(database.db, clock, deriveApiKeyHashKeys(OLD_MASTER).current, {
        organizationId: org.id,
        env: 'live',
        scopes: ['*'],
        returnDomains: [],
      }));
      await database.db.transaction().execute((trx) => createVault({ masterSecret: OLD_MASTER, clock }).put(trx, 've_token', { accessToken: 'act.kept' }));
    });
    after(() => database.destroy());

    const whoami = async (options: { masterSecret: string; previousMasterSecrets?: string[] }) => {
      const server = await buildTestApp(database, clock, options);
      try {
        return (await server.app.inject({ method: 'GET', url: '/v1/whoami', headers: { authorization: `Bearer ${secret}` } })).statusCode;
      } finally {
        await server.close();
      }
    };

    test('keys issued under the old master keep working while it is listed as previous, and the vault rotates', async () => {
      assert.equal(await whoami({ masterSecret: OLD_MASTER }), 200);
      assert.equal(await whoami({ masterSecret: NEW_MASTER, previousMasterSecrets: [OLD_MASTER] }), 200);
      const vault = createVault({ masterSecret: NEW_MASTER, previousMasterSecrets: [OLD_MASTER], clock });
      await vault.rotate(database.db);
      assert.deepEqual(await createVault({ masterSecret: NEW_MASTER, clock }).get(database.db, 've_token'), { accessToken: 'act.kept' });
    });

    test('a key used while the old master was listed was re-hashed and no longer needs it', async () => {
      assert.equal(await whoami({ masterSecret: NEW_MASTER }), 200);
      assert.equal(await whoami({ masterSecret: OLD_MASTER }), 401, 'the old master alone no longer matches');
    });
  });
}
