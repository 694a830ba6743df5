import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { killApiKey } from '../../src/api-keys/api-keys.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { expectError, withWrongSecret } from './helpers.ts';

for (const engine of engines) {
  describe(`authentication, scopes and the order of checks (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let projectId: string;

    const countProjects = async () =>
      Number((await ctx.database.db.selectFrom('projects').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const whoami = (headers: Record<string, string>) => ctx.call({ method: 'GET', url: '/v1/whoami', headers });

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Auth project', timezone: 'UTC' } });
      assert.equal(res.statusCode, 201);
      projectId = (res.json() as { id: string }).id;
    });
    after(() => ctx.close());

    describe('401 UNAUTHENTICATED', () => {
      test('the valid key is accepted (the baseline the 401s differ from)', async () => {
        assert.equal((await whoami({ authorization: `Bearer ${tenant.secret}` })).statusCode, 200);
      });

      test('missing Authorization header, on every kind of /v1 route', async () => {
        expectError(await ctx.call({ method: 'GET', url: '/v1/whoami' }), 401, 'UNAUTHENTICATED');
        expectError(await ctx.call({ method: 'GET', url: '/v1/projects' }), 401, 'UNAUTHENTICATED');
        expectError(await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}` }), 401, 'UNAUTHENTICATED');
        expectError(await ctx.call({ method: 'POST', url: '/v1/projects', body: { name: 'No key', timezone: 'UTC' } }), 401, 'UNAUTHENTICATED');
        expectError(await ctx.call({ method: 'PATCH', url: `/v1/projects/${projectId}`, body: { name: 'No key' } }), 401, 'UNAUTHENTICATED');
        expectError(await ctx.call({ method: 'DELETE', url: `/v1/projects/${projectId}` }), 401, 'UNAUTHENTICATED');
        expectError(await ctx.call({ method: 'POST', url: `/v1/api-keys/${tenant.apiKeyId}/kill` }), 401, 'UNAUTHENTICATED');
        const row = await ctx.database.db.selectFrom('projects').select(['name', 'status']).where('id', '=', projectId).executeTakeFirstOrThrow();
        assert.deepEqual({ ...row }, { name: 'Auth project', status: 'active' });
        const key = await ctx.database.db.selectFrom('api_keys').select('killed_at').where('id', '=', tenant.apiKeyId).executeTakeFirstOrThrow();
        assert.equal(key.killed_at, null);
      });

      test('malformed Authorization headers', async () => {
        for (const authorization of [
          '',
          tenant.secret, // no scheme
          `Basic ${Buffer.from(`${tenant.secret}:`).toString('base64')}`,
          'Bearer',
          'Bearer ',
          `Bearer ${tenant.secret} extra`,
          `Token ${tenant.secret}`,
        ]) {
          expectError(await whoami({ authorization }), 401, 'UNAUTHENTICATED');
        }
      });

      test('malformed keys', async () => {
        for (const key of [
          'lp_test_short',
          `lp_prod_${tenant.secret.slice(8)}`,
          tenant.secret.slice(0, -1),
          `${tenant.secret}x`,
          tenant.secret.toLowerCase(),
          `sk_test_${tenant.secret.slice(8)}`,
        ]) {
          expectError(await whoami({ authorization: `Bearer ${key}` }), 401, 'UNAUTHENTICATED');
        }
      });

      test('an unknown, well-formed key', async () => {
        const lookup = Array.from(randomBytes(16), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b & 31]).join('');
        const unknown = `lp_test_${lookup}_${randomBytes(32).toString('base64url')}`;
        expectError(await whoami({ authorization: `Bearer ${unknown}` }), 401, 'UNAUTHENTICATED');
      });

      test('the right key id with a wrong secret', async () => {
        const wrong = withWrongSecret(tenant.secret);
        assert.notEqual(wrong, tenant.secret);
        assert.equal(wrong.length, tenant.secret.length);
        expectError(await whoami({ authorization: `Bearer ${wrong}` }), 401, 'UNAUTHENTICATED');
      });

      test('a key presented with the other env prefix (test key as lp_live_, live key as lp_test_)', async () => {
        assert.ok(tenant.secret.startsWith('lp_test_'));
        expectError(await whoami({ authorization: `Bearer lp_live_${tenant.secret.slice('lp_test_'.length)}` }), 401, 'UNAUTHENTICATED');

        const live = await ctx.key(tenant.organizationId, { env: 'live' });
        assert.ok(live.secret.startsWith('lp_live_'));
        assert.equal((await whoami({ authorization: `Bearer ${live.secret}` })).statusCode, 200);
        expectError(await whoami({ authorization: `Bearer lp_test_${live.secret.slice('lp_live_'.length)}` }), 401, 'UNAUTHENTICATED');
      });

      test('the 401 message never echoes the presented key', async () => {
        const wrong = withWrongSecret(tenant.secret);
        const res = await whoami({ authorization: `Bearer ${wrong}` });
        expectError(res, 401, 'UNAUTHENTICATED');
        assert.ok(!res.body.includes(wrong.slice(-43)));
      });
    });

    describe('403 FORBIDDEN_SCOPE', () => {
      test('a projects:read key cannot create, update or archive a project', async () => {
        const reader = await ctx.key(tenant.organizationId, { scopes: ['projects:read'] });
        const before = await countProjects();
        const create = await ctx.call({ method: 'POST', url: '/v1/projects', key: reader.secret, body: { name: 'Not allowed', timezone: 'UTC' } });
        assert.deepEqual(expectError(create, 403, 'FORBIDDEN_SCOPE'), { requiredScope: 'projects:write' });
        const patch = await ctx.call({ method: 'PATCH', url: `/v1/projects/${projectId}`, key: reader.secret, body: { name: 'Renamed' } });
        assert.deepEqual(expectError(patch, 403, 'FORBIDDEN_SCOPE'), { requiredScope: 'projects:write' });
        const del = await ctx.call({ method: 'DELETE', url: `/v1/projects/${projectId}`, key: reader.secret });
        assert.deepEqual(expectError(del, 403, 'FORBIDDEN_SCOPE'), { requiredScope: 'projects:write' });
        assert.equal(await countProjects(), before);
        const row = await ctx.database.db.selectFrom('projects').select(['name', 'status']).where('id', '=', projectId).executeTakeFirstOrThrow();
        assert.deepEqual({ ...row }, { name: 'Auth project', status: 'active' });
        // What it does hold works.
        assert.equal((await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}`, key: reader.secret })).statusCode, 200);
        assert.equal((await ctx.call({ method: 'GET', url: '/v1/projects', key: reader.secret })).statusCode, 200);
      });

      test('write does not imply read; scopes of other families grant nothing here', async () => {
        const writer = await ctx.key(tenant.organizationId, { scopes: ['projects:write'] });
        assert.deepEqual(
          expectError(await ctx.call({ method: 'GET', url: '/v1/projects', key: writer.secret }), 403, 'FORBIDDEN_SCOPE'),
          { requiredScope: 'projects:read' },
        );
        assert.deepEqual(
          expectError(await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}`, key: writer.secret }), 403, 'FORBIDDEN_SCOPE'),
          { requiredScope: 'projects:read' },
        );
        const social = await ctx.key(tenant.organizationId, { scopes: ['social:read', 'social:write', 'webhooks:write', 'publish:write'] });
        assert.deepEqual(
          expectError(await ctx.call({ method: 'GET', url: '/v1/projects', key: social.secret }), 403, 'FORBIDDEN_SCOPE'),
          { requiredScope: 'projects:read' },
        );
        assert.deepEqual(
          expectError(
            await ctx.call({ method: 'POST', url: '/v1/projects', key: social.secret, body: { name: 'Nope', timezone: 'UTC' } }),
            403,
            'FORBIDDEN_SCOPE',
          ),
          { requiredScope: 'projects:write' },
        );
      });

      test('"*" grants every scope; whoami needs none', async () => {
        const star = await ctx.key(tenant.organizationId, { scopes: ['*'] });
        assert.equal((await ctx.call({ method: 'GET', url: '/v1/projects', key: star.secret })).statusCode, 200);
        const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: star.secret, body: { name: 'Star key', timezone: 'UTC' } });
        assert.equal(res.statusCode, 201);
        const narrow = await ctx.key(tenant.organizationId, { scopes: ['webhooks:read'] });
        assert.equal((await ctx.call({ method: 'GET', url: '/v1/whoami', key: narrow.secret })).statusCode, 200);
      });
    });

    describe('order of checks: 401 → 503 → 403 → 429 → 400 → 422 → 404', () => {
      test('bad secret and a bad body → 401', async () => {
        const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: withWrongSecret(tenant.secret), body: '{not json' });
        expectError(res, 401, 'UNAUTHENTICATED');
      });

      test('a killed key presented with a wrong secret → 401, not 503', async () => {
        const doomed = await ctx.key(tenant.organizationId);
        await killApiKey(ctx.database.db, ctx.clock, doomed.id);
        expectError(await whoami({ authorization: `Bearer ${withWrongSecret(doomed.secret)}` }), 401, 'UNAUTHENTICATED');
        assert.deepEqual(expectError(await whoami({ authorization: `Bearer ${doomed.secret}` }), 503, 'KILL_SWITCH'), { scope: 'key' });
      });

      test('a killed key without the scope → 503, not 403', async () => {
        const reader = await ctx.key(tenant.organizationId, { scopes: ['projects:read'] });
        await killApiKey(ctx.database.db, ctx.clock, reader.id);
        const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: reader.secret, body: '{not json' });
        assert.deepEqual(expectError(res, 503, 'KILL_SWITCH'), { scope: 'key' });
      });

      test('a key without the scope sending malformed JSON → 403, not 400', async () => {
        const reader = await ctx.key(tenant.organizationId, { scopes: ['projects:read'] });
        const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: reader.secret, body: '{not json' });
        assert.deepEqual(expectError(res, 403, 'FORBIDDEN_SCOPE'), { requiredScope: 'projects:write' });
        const big = await ctx.call({ method: 'POST', url: '/v1/projects', key: reader.secret, body: JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 1) }) });
        expectError(big, 403, 'FORBIDDEN_SCOPE');
      });

      test('a key without the scope sending an invalid body to an unknown project → 403', async () => {
        const reader = await ctx.key(tenant.organizationId, { scopes: ['projects:read'] });
        const res = await ctx.call({ method: 'PATCH', url: `/v1/projects/${randomUUID()}`, key: reader.secret, body: { name: 1 } });
        expectError(res, 403, 'FORBIDDEN_SCOPE');
      });

      test('malformed JSON with an unknown project → 400; a schema failure with an unknown project → 422', async () => {
        const missing = `/v1/projects/prj_${randomUUID()}`;
        expectError(await ctx.call({ method: 'PATCH', url: missing, key: tenant.secret, body: '{"name":' }), 400, 'VALIDATION');
        expectError(await ctx.call({ method: 'PATCH', url: missing, key: tenant.secret, body: { name: 'ab' } }), 422, 'VALIDATION');
        expectError(await ctx.call({ method: 'PATCH', url: missing, key: tenant.secret, body: { name: 'Fine name' } }), 404, 'NOT_FOUND');
      });
    });
  });
}
