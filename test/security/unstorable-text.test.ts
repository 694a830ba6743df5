import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { expectIssues } from '../foundation/helpers.ts';

/**
 * Found by the fuzz drill: a string holding U+0000 (`"nul\u0000byte"` as a project name, a
 * webhook description, a usage note, a query filter, inside a cursor) answered 500 on Postgres,
 * whose text type cannot hold it; a lone surrogate was stored as U+FFFD while the response echoed
 * it. Every body, query and path string is checked first: 422 naming the field, on both engines.
 */
for (const engine of engines) {
  describe(`text no database can store is refused, naming the field (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let projectId: string;
    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      projectId = (await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Text app', timezone: 'UTC' } })).json().id;
    });
    after(() => ctx.close());

    test('NUL and lone surrogates in body values and keys, and NUL in query values', async () => {
      const cases: Array<[string, string, string, unknown]> = [
        ['name', 'POST', '/v1/projects', { name: 'nul\u0000byte', timezone: 'UTC' }],
        ['customerExternalId', 'POST', '/v1/projects', { name: 'Fine name', timezone: 'UTC', customerExternalId: 'a\u0000' }],
        ['metadata.note', 'PATCH', `/v1/projects/${projectId}`, { metadata: { note: 'x\u0000y' } }],
        ['metadata.k\u0000', 'PATCH', `/v1/projects/${projectId}`, { metadata: { 'k\u0000': 1 } }],
        ['tagline', 'PATCH', `/v1/projects/${projectId}`, { tagline: 'lone \ud800 surrogate' }],
        ['usageNote', 'POST', `/v1/projects/${projectId}/social/oauth-url`, { platform: 'tiktok', returnUrl: 'https://app.example.com/x', usageNote: 'a\u0000b' }],
        ['description', 'POST', '/v1/webhook-endpoints', { url: 'https://hooks.example.com/x', events: ['test.ping'], description: 'a\u0000b' }],
      ];
      for (const [path, method, url, body] of cases) {
        const issues = expectIssues(await ctx.call({ method: method as 'POST', url, key: tenant.secret, body }));
        assert.deepEqual(issues.map((i) => i.path), [path], url);
      }
      const query = expectIssues(await ctx.call({ method: 'GET', url: '/v1/projects?customerExternalId=a%00b', key: tenant.secret }));
      assert.deepEqual(query.map((i) => i.path), ['customerExternalId']);
      const cursor = Buffer.from(JSON.stringify({ at: 'a\u0000', id: 'prj_x' })).toString('base64url');
      assert.deepEqual(expectIssues(await ctx.call({ method: 'GET', url: `/v1/projects?cursor=${cursor}`, key: tenant.secret })).map((i) => i.path), ['cursor']);
      const stored = await ctx.database.db.selectFrom('projects').select('name').where('organization_id', '=', tenant.organizationId).execute();
      assert.deepEqual(stored.map((r) => r.name), ['Text app']);
    });

    test('ordinary unicode is untouched: emoji, RTL marks, combining characters', async () => {
      const name = 'Café 😀 \u202e';
      const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name, timezone: 'UTC', metadata: { 'ключ': 'e\u0301' } } });
      assert.equal(res.statusCode, 201, res.body);
      const read = await ctx.call({ method: 'GET', url: `/v1/projects/${res.json().id}`, key: tenant.secret });
      assert.equal(read.json().name, name);
      assert.deepEqual(read.json().metadata, { 'ключ': 'e\u0301' });
    });
  });
}
