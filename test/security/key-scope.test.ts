import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext } from '../support/test-app.ts';
import { expectError } from '../foundation/helpers.ts';

/**
 * Finding 4: any key could kill or retire every other key of its organization, a read-only key
 * included, so one leaked read-only key could stop production. A key may always stop itself;
 * stopping another key takes `keys:write` (or `*`).
 */
for (const engine of engines) {
  describe(`stopping another API key takes keys:write (${engine})`, () => {
    let ctx: TestContext;
    const whoami = (secret: string) => ctx.call({ method: 'GET', url: '/v1/whoami', key: secret });
    before(async () => {
      ctx = await createTestContext(engine);
    });
    after(() => ctx.close());

    test('a read-only key can neither kill nor retire a sibling (403 keys:write, whether or not the id exists); the sibling keeps working', async () => {
      const tenant = await ctx.tenant();
      const readOnly = await ctx.key(tenant.organizationId, { scopes: ['projects:read', 'social:read', 'webhooks:read'] });
      for (const [method, url] of [
        ['POST', `/v1/api-keys/${tenant.apiKeyId}/kill`],
        ['DELETE', `/v1/api-keys/${tenant.apiKeyId}`],
        ['POST', '/v1/api-keys/key_00000000-0000-4000-8000-000000000000/kill'],
      ] as const) {
        assert.deepEqual(expectError(await ctx.call({ method, url, key: readOnly.secret }), 403, 'FORBIDDEN_SCOPE'), { requiredScope: 'keys:write' });
      }
      assert.equal((await whoami(tenant.secret)).statusCode, 200);
      const row = await ctx.database.db.selectFrom('api_keys').selectAll().where('id', '=', tenant.apiKeyId).executeTakeFirstOrThrow();
      assert.deepEqual([row.killed_at, row.retired_at], [null, null]);
    });

    test('the same read-only key may still kill itself, and another may retire itself', async () => {
      const tenant = await ctx.tenant();
      const leaked = await ctx.key(tenant.organizationId, { scopes: ['projects:read'] });
      assert.equal((await ctx.call({ method: 'POST', url: `/v1/api-keys/${leaked.id.slice(4)}/kill`, key: leaked.secret })).statusCode, 200);
      expectError(await whoami(leaked.secret), 503, 'KILL_SWITCH');
      const rotated = await ctx.key(tenant.organizationId, { scopes: ['social:read'] });
      assert.equal((await ctx.call({ method: 'DELETE', url: `/v1/api-keys/${rotated.id}`, key: rotated.secret })).statusCode, 200);
      expectError(await whoami(rotated.secret), 503, 'KILL_SWITCH');
    });

    test('keys:write is a grantable scope: such a key stops siblings, and still not another organization’s keys (404)', async () => {
      const tenant = await ctx.tenant();
      const admin = await ctx.key(tenant.organizationId, { scopes: ['keys:write'] });
      assert.deepEqual((await whoami(admin.secret)).json().scopes, ['keys:write']);
      const sibling = await ctx.key(tenant.organizationId);
      assert.equal((await ctx.call({ method: 'DELETE', url: `/v1/api-keys/${sibling.id}`, key: admin.secret })).statusCode, 200);
      expectError(await whoami(sibling.secret), 503, 'KILL_SWITCH');
      const stranger = await ctx.tenant({ orgName: 'Elsewhere' });
      expectError(await ctx.call({ method: 'POST', url: `/v1/api-keys/${stranger.apiKeyId}/kill`, key: admin.secret }), 404, 'NOT_FOUND');
      assert.equal((await whoami(stranger.secret)).statusCode, 200);
    });
  });
}
