import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { killApiKey, retireApiKey } from '../../src/api-keys/api-keys.ts';
import { setGlobalKillSwitch } from '../../src/organizations/global-kill-switch.ts';
import { setOrganizationSuspended } from '../../src/organizations/organizations.ts';
import { engines } from '../support/engines.ts';
import { buildTestApp, createTestContext, type TestApp, type TestContext } from '../support/test-app.ts';
import { expectError } from './helpers.ts';

for (const engine of engines) {
  describe(`kill switch: 503 KILL_SWITCH (${engine})`, () => {
    let ctx: TestContext;

    const countProjects = async () =>
      Number((await ctx.database.db.selectFrom('projects').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const whoami = (secret: string) => ctx.call({ method: 'GET', url: '/v1/whoami', key: secret });
    const expectKilled = async (secret: string, scope: 'key' | 'org' | 'global') => {
      assert.deepEqual(expectError(await whoami(secret), 503, 'KILL_SWITCH'), { scope });
      assert.deepEqual(expectError(await ctx.call({ method: 'GET', url: '/v1/projects', key: secret }), 503, 'KILL_SWITCH'), { scope });
      const before = await countProjects();
      const create = await ctx.call({ method: 'POST', url: '/v1/projects', key: secret, body: { name: 'After kill', timezone: 'UTC' } });
      assert.deepEqual(expectError(create, 503, 'KILL_SWITCH'), { scope });
      assert.equal(await countProjects(), before, 'a killed request must not create anything');
    };

    before(async () => {
      ctx = await createTestContext(engine);
    });
    after(() => ctx.close());

    test('killApiKey: that key answers 503 scope "key" on its very next request; its siblings keep working', async () => {
      const tenant = await ctx.tenant();
      const sibling = await ctx.key(tenant.organizationId);
      assert.equal((await whoami(tenant.secret)).statusCode, 200);
      await killApiKey(ctx.database.db, ctx.clock, tenant.apiKeyId);
      await expectKilled(tenant.secret, 'key');
      assert.equal((await whoami(sibling.secret)).statusCode, 200);
    });

    test('retireApiKey: 503 scope "key" from the next request on', async () => {
      const tenant = await ctx.tenant();
      assert.equal((await whoami(tenant.secret)).statusCode, 200);
      await retireApiKey(ctx.database.db, ctx.clock, tenant.apiKeyId);
      await expectKilled(tenant.secret, 'key');
    });

    test('a killed key stays killed: the 503 does not wear off with time', async () => {
      const tenant = await ctx.tenant();
      await killApiKey(ctx.database.db, ctx.clock, tenant.apiKeyId);
      ctx.clock.advance(400 * 24 * 60 * 60 * 1000);
      assert.deepEqual(expectError(await whoami(tenant.secret), 503, 'KILL_SWITCH'), { scope: 'key' });
    });

    test('a suspended organization: all its keys answer 503 scope "org"; other organizations are unaffected; lifting it restores access', async () => {
      const tenant = await ctx.tenant({ orgName: 'Suspended Co' });
      const second = await ctx.key(tenant.organizationId, { env: 'live' });
      const other = await ctx.tenant({ orgName: 'Bystander Co' });
      await setOrganizationSuspended(ctx.database.db, ctx.clock, tenant.organizationId, true);
      await expectKilled(tenant.secret, 'org');
      await expectKilled(second.secret, 'org');
      assert.equal((await whoami(other.secret)).statusCode, 200);

      await setOrganizationSuspended(ctx.database.db, ctx.clock, tenant.organizationId, false);
      assert.equal((await whoami(tenant.secret)).statusCode, 200);
      assert.equal((await whoami(second.secret)).statusCode, 200);
    });

    test('the global switch: every key of every organization answers 503 scope "global"; switching it off restores access', async () => {
      const a = await ctx.tenant({ orgName: 'Global A' });
      const b = await ctx.tenant({ orgName: 'Global B' });
      try {
        await setGlobalKillSwitch(ctx.database.db, ctx.clock, true);
        await expectKilled(a.secret, 'global');
        await expectKilled(b.secret, 'global');
        // Unauthenticated requests are still told about their credentials first (401 before 503).
        expectError(await ctx.call({ method: 'GET', url: '/v1/whoami' }), 401, 'UNAUTHENTICATED');
        // Operators' probes still answer.
        assert.equal((await ctx.call({ method: 'GET', url: '/healthz' })).statusCode, 200);
      } finally {
        await setGlobalKillSwitch(ctx.database.db, ctx.clock, false);
      }
      assert.equal((await whoami(a.secret)).statusCode, 200);
      assert.equal((await whoami(b.secret)).statusCode, 200);
    });

    describe('every server process sees a kill on its very next request', () => {
      let second: TestApp;
      before(async () => {
        // A second app (a second server process) on the same database.
        second = await buildTestApp(ctx.database, ctx.clock, { publicBaseUrl: 'http://127.0.0.1:8081' });
      });
      after(() => second.close());

      const whoamiOnSecond = (secret: string) =>
        second.app.inject({ method: 'GET', url: '/v1/whoami', headers: { authorization: `Bearer ${secret}` } });

      test('a key killed through one process is refused by the other at once', async () => {
        const tenant = await ctx.tenant();
        const killer = await ctx.key(tenant.organizationId);
        // Warm both processes up with the key first, so nothing could be served from a cache.
        assert.equal((await whoami(tenant.secret)).statusCode, 200);
        assert.equal((await whoamiOnSecond(tenant.secret)).statusCode, 200);

        const kill = await ctx.call({ method: 'POST', url: `/v1/api-keys/${tenant.apiKeyId}/kill`, key: killer.secret });
        assert.equal(kill.statusCode, 200);
        assert.deepEqual(expectError(await whoamiOnSecond(tenant.secret), 503, 'KILL_SWITCH'), { scope: 'key' });
        assert.deepEqual(expectError(await whoami(tenant.secret), 503, 'KILL_SWITCH'), { scope: 'key' });
      });

      test('suspension and the global switch too', async () => {
        const tenant = await ctx.tenant();
        assert.equal((await whoamiOnSecond(tenant.secret)).statusCode, 200);
        await setOrganizationSuspended(ctx.database.db, ctx.clock, tenant.organizationId, true);
        assert.deepEqual(expectError(await whoamiOnSecond(tenant.secret), 503, 'KILL_SWITCH'), { scope: 'org' });
        await setOrganizationSuspended(ctx.database.db, ctx.clock, tenant.organizationId, false);
        assert.equal((await whoamiOnSecond(tenant.secret)).statusCode, 200);
        try {
          await setGlobalKillSwitch(ctx.database.db, ctx.clock, true);
          assert.deepEqual(expectError(await whoamiOnSecond(tenant.secret), 503, 'KILL_SWITCH'), { scope: 'global' });
        } finally {
          await setGlobalKillSwitch(ctx.database.db, ctx.clock, false);
        }
        assert.equal((await whoamiOnSecond(tenant.secret)).statusCode, 200);
      });
    });
  });
}
