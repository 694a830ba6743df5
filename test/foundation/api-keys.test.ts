import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext } from '../support/test-app.ts';
import { expectError } from './helpers.ts';

interface ApiKeyBody {
  id: string;
  organizationId: string;
  name: string | null;
  env: 'live' | 'test';
  prefix: string;
  scopes: string[];
  returnUrlAllowlist: string[];
  rateLimitTier: string;
  status: 'active' | 'killed' | 'retired';
  killedAt: string | null;
  retiredAt: string | null;
  createdAt: string;
}

for (const engine of engines) {
  describe(`whoami and api keys (${engine})`, () => {
    let ctx: TestContext;

    const whoami = (secret: string) => ctx.call({ method: 'GET', url: '/v1/whoami', key: secret });
    const keyRow = (id: string) => ctx.database.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

    before(async () => {
      ctx = await createTestContext(engine);
    });
    after(() => ctx.close());

    test('GET /v1/whoami describes the calling key and its organization', async () => {
      const tenant = await ctx.tenant({
        orgName: 'Whoami Org',
        env: 'live',
        scopes: ['projects:read', 'social:write'],
        tier: 'pilot',
        returnDomains: ['App.Example.com', 'localhost'],
      });
      const res = await whoami(tenant.secret);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), {
        organizationId: tenant.organizationId,
        organizationName: 'Whoami Org',
        apiKeyId: tenant.apiKeyId,
        env: 'live',
        scopes: ['projects:read', 'social:write'],
        rateLimitTier: 'pilot',
        returnUrlAllowlist: ['app.example.com', 'localhost'],
      });
      assert.match(tenant.organizationId, /^org_[0-9a-f-]{36}$/);
      assert.match(tenant.apiKeyId, /^key_[0-9a-f-]{36}$/);

      const sandbox = await ctx.key(tenant.organizationId, { env: 'test', scopes: ['*'] });
      const body = (await whoami(sandbox.secret)).json() as { env: string; apiKeyId: string; scopes: string[]; rateLimitTier: string };
      assert.deepEqual([body.env, body.apiKeyId, body.scopes], ['test', sandbox.id, ['*']]);
    });

    test('POST /v1/api-keys/:keyId/kill on a key of the same organization: 200, then that key answers 503 scope "key"', async () => {
      const tenant = await ctx.tenant();
      const victim = await ctx.key(tenant.organizationId, { name: 'leaked', scopes: ['projects:read'] });
      assert.equal((await whoami(victim.secret)).statusCode, 200);
      ctx.clock.advance(1_000);

      const res = await ctx.call({ method: 'POST', url: `/v1/api-keys/${victim.id}/kill`, key: tenant.secret });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json() as ApiKeyBody;
      const now = ctx.clock.now().toISOString();
      assert.equal(body.id, victim.id);
      assert.equal(body.organizationId, tenant.organizationId);
      assert.equal(body.name, 'leaked');
      assert.equal(body.status, 'killed');
      assert.equal(body.killedAt, now);
      assert.equal(body.retiredAt, null);
      assert.deepEqual(body.scopes, ['projects:read']);
      assert.equal(body.prefix, victim.secret.slice(0, 'lp_test_'.length + 16));
      assert.equal((await keyRow(victim.id)).killed_at, now);

      assert.deepEqual(expectError(await whoami(victim.secret), 503, 'KILL_SWITCH'), { scope: 'key' });
      assert.equal((await whoami(tenant.secret)).statusCode, 200, 'the killer keeps working');

      // Killing again is harmless and keeps the first kill time.
      ctx.clock.advance(1_000);
      const again = await ctx.call({ method: 'POST', url: `/v1/api-keys/${victim.id.slice(4)}/kill`, key: tenant.secret });
      assert.equal(again.statusCode, 200);
      assert.equal((again.json() as ApiKeyBody).killedAt, now);
    });

    test('killing another key of the organization takes keys:write: a narrow key gets 403 and the victim keeps working', async () => {
      const tenant = await ctx.tenant();
      const narrow = await ctx.key(tenant.organizationId, { scopes: ['webhooks:read'] });
      const victim = await ctx.key(tenant.organizationId);
      const res = await ctx.call({ method: 'POST', url: `/v1/api-keys/${victim.id}/kill`, key: narrow.secret });
      assert.deepEqual(expectError(res, 403, 'FORBIDDEN_SCOPE'), { requiredScope: 'keys:write' });
      assert.equal((await whoami(victim.secret)).statusCode, 200);
      const keyWriter = await ctx.key(tenant.organizationId, { scopes: ['keys:write'] });
      assert.equal((await ctx.call({ method: 'POST', url: `/v1/api-keys/${victim.id}/kill`, key: keyWriter.secret })).statusCode, 200);
      expectError(await whoami(victim.secret), 503, 'KILL_SWITCH');
    });

    test('DELETE /v1/api-keys/:keyId (bare UUID too) retires a key of the same organization: 200, then 503 scope "key"', async () => {
      const tenant = await ctx.tenant();
      const old = await ctx.key(tenant.organizationId);
      ctx.clock.advance(1_000);
      const res = await ctx.call({ method: 'DELETE', url: `/v1/api-keys/${old.id.slice(4)}`, key: tenant.secret });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json() as ApiKeyBody;
      assert.equal(body.id, old.id);
      assert.equal(body.status, 'retired');
      assert.equal(body.retiredAt, ctx.clock.now().toISOString());
      assert.equal((await keyRow(old.id)).retired_at, ctx.clock.now().toISOString());
      assert.deepEqual(expectError(await whoami(old.secret), 503, 'KILL_SWITCH'), { scope: 'key' });
      assert.equal((await whoami(tenant.secret)).statusCode, 200);
    });

    test('another organization’s key: 404 NOT_FOUND for kill and retire, and that key keeps working', async () => {
      const mine = await ctx.tenant({ orgName: 'Attacker' });
      const theirs = await ctx.tenant({ orgName: 'Target' });
      for (const id of [theirs.apiKeyId, theirs.apiKeyId.slice(4)]) {
        expectError(await ctx.call({ method: 'POST', url: `/v1/api-keys/${id}/kill`, key: mine.secret }), 404, 'NOT_FOUND');
        expectError(await ctx.call({ method: 'DELETE', url: `/v1/api-keys/${id}`, key: mine.secret }), 404, 'NOT_FOUND');
      }
      const row = await keyRow(theirs.apiKeyId);
      assert.equal(row.killed_at, null);
      assert.equal(row.retired_at, null);
      assert.equal((await whoami(theirs.secret)).statusCode, 200);
    });

    test('a key can kill itself: 200, then 503 on its next request', async () => {
      const tenant = await ctx.tenant();
      const res = await ctx.call({ method: 'POST', url: `/v1/api-keys/${tenant.apiKeyId}/kill`, key: tenant.secret });
      assert.equal(res.statusCode, 200);
      assert.equal((res.json() as ApiKeyBody).status, 'killed');
      assert.deepEqual(expectError(await whoami(tenant.secret), 503, 'KILL_SWITCH'), { scope: 'key' });
      // And it can no longer undo or redo anything.
      assert.deepEqual(
        expectError(await ctx.call({ method: 'DELETE', url: `/v1/api-keys/${tenant.apiKeyId}`, key: tenant.secret }), 503, 'KILL_SWITCH'),
        { scope: 'key' },
      );
    });

    test('a key can retire itself', async () => {
      const tenant = await ctx.tenant();
      const res = await ctx.call({ method: 'DELETE', url: `/v1/api-keys/${tenant.apiKeyId}`, key: tenant.secret });
      assert.equal(res.statusCode, 200);
      assert.equal((res.json() as ApiKeyBody).status, 'retired');
      expectError(await whoami(tenant.secret), 503, 'KILL_SWITCH');
    });

    test('the key responses never carry the secret, only its public prefix', async () => {
      const tenant = await ctx.tenant();
      const victim = await ctx.key(tenant.organizationId);
      const res = await ctx.call({ method: 'POST', url: `/v1/api-keys/${victim.id}/kill`, key: tenant.secret });
      assert.equal(res.statusCode, 200);
      const secretPart = victim.secret.slice(-43);
      assert.ok(!res.body.includes(secretPart));
      assert.ok(!JSON.stringify(res.headers).includes(secretPart));
      assert.ok(!res.body.includes(victim.secret));
    });
  });
}
