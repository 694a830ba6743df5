import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { eventually } from './helpers.ts';

for (const engine of engines) {
  describe(`audit log (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;

    const rowsFor = (res: LightMyRequestResponse) =>
      ctx.database.db.selectFrom('audit_log').selectAll().where('request_id', '=', String(res.headers['x-request-id'])).execute();
    /** The audit row is written once the response has gone out: wait for exactly one. */
    const auditRowOf = (res: LightMyRequestResponse) =>
      eventually(async () => {
        const rows = await rowsFor(res);
        assert.equal(rows.length, 1, `audit rows for ${res.headers['x-request-id']}`);
        return { ...rows[0] };
      });
    const totalRows = async () =>
      Number((await ctx.database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
    });
    after(() => ctx.close());

    test('create, update, archive: one row each with key, organization, project, route, status and request id', async () => {
      const created = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Audited', timezone: 'UTC' } });
      assert.equal(created.statusCode, 201);
      const projectId = (created.json() as { id: string }).id;
      const createRow = await auditRowOf(created);
      assert.deepEqual(
        { ...createRow, id: '', at: '' },
        {
          id: '',
          at: '',
          request_id: created.headers['x-request-id'],
          api_key_id: tenant.apiKeyId,
          organization_id: tenant.organizationId,
          project_id: projectId,
          method: 'POST',
          route: '/v1/projects',
          status_code: 201,
        },
      );
      assert.equal(createRow.at, ctx.clock.now().toISOString());

      ctx.clock.advance(1_000);
      const patched = await ctx.call({ method: 'PATCH', url: `/v1/projects/${projectId.slice(4)}`, key: tenant.secret, body: { tagline: 'x' } });
      assert.equal(patched.statusCode, 200);
      const patchRow = await auditRowOf(patched);
      assert.deepEqual(
        [patchRow.method, patchRow.route, patchRow.project_id, patchRow.status_code, patchRow.api_key_id, patchRow.organization_id, patchRow.at],
        ['PATCH', '/v1/projects/:projectId', projectId, 200, tenant.apiKeyId, tenant.organizationId, ctx.clock.now().toISOString()],
      );

      const deleted = await ctx.call({ method: 'DELETE', url: `/v1/projects/${projectId}`, key: tenant.secret });
      assert.equal(deleted.statusCode, 200);
      const deleteRow = await auditRowOf(deleted);
      assert.deepEqual(
        [deleteRow.method, deleteRow.route, deleteRow.project_id, deleteRow.status_code],
        ['DELETE', '/v1/projects/:projectId', projectId, 200],
      );
    });

    test('refused mutations of an authenticated key are recorded too, with their status; unauthenticated ones are not', async () => {
      const invalid = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'x' } });
      assert.equal(invalid.statusCode, 422);
      const invalidRow = await auditRowOf(invalid);
      assert.deepEqual([invalidRow.status_code, invalidRow.api_key_id, invalidRow.project_id], [422, tenant.apiKeyId, null]);

      const missing = `prj_${randomUUID()}`;
      const notFound = await ctx.call({ method: 'PATCH', url: `/v1/projects/${missing}`, key: tenant.secret, body: { name: 'Nobody' } });
      assert.equal(notFound.statusCode, 404);
      assert.equal((await auditRowOf(notFound)).status_code, 404);

      // A request that fails authentication writes nothing: no anonymous caller can fill the table.
      const anonymous = await ctx.call({ method: 'POST', url: '/v1/projects', body: { name: 'Anon', timezone: 'UTC' } });
      assert.equal(anonymous.statusCode, 401);
      const marker = await ctx.call({ method: 'POST', url: `/v1/api-keys/key_${randomUUID()}/kill`, key: tenant.secret });
      await auditRowOf(marker);
      assert.deepEqual(await rowsFor(anonymous), []);
    });

    test('killing a key is recorded under the killer', async () => {
      const victim = await ctx.key(tenant.organizationId);
      const killer = await ctx.key(tenant.organizationId);
      const res = await ctx.call({ method: 'POST', url: `/v1/api-keys/${victim.id}/kill`, key: killer.secret });
      assert.equal(res.statusCode, 200);
      const row = await auditRowOf(res);
      assert.deepEqual(
        [row.method, row.route, row.api_key_id, row.organization_id, row.status_code],
        ['POST', '/v1/api-keys/:keyId/kill', killer.id, tenant.organizationId, 200],
      );
    });

    test('every authenticated write route the API documents is audited, whatever it answers (its hooks are attached route by route)', async () => {
      const document = (await ctx.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
      const writes = Object.entries(document.paths)
        .filter(([path]) => path.startsWith('/v1/'))
        .flatMap(([path, operations]) => Object.keys(operations).filter((method) => method !== 'get').map((method) => ({ method: method.toUpperCase(), path })));
      assert.ok(writes.length >= 25, `documented writes: ${writes.length}`);
      for (const { method, path } of writes) {
        const res = await ctx.call({ method: method as 'POST', url: path.replace(/\{[^}]+\}/g, 'unknown'), key: tenant.secret, body: {} });
        const row = await auditRowOf(res);
        assert.deepEqual([row.method, row.route, row.status_code], [method, path.replace(/\{([^}]+)\}/g, ':$1'), res.statusCode], `${method} ${path}`);
      }
    });

    test('GET requests write no audit row', async () => {
      const created = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Read me', timezone: 'UTC' } });
      await auditRowOf(created);
      const before = await totalRows();
      const reads = [
        await ctx.call({ method: 'GET', url: '/v1/whoami', key: tenant.secret }),
        await ctx.call({ method: 'GET', url: '/v1/projects', key: tenant.secret }),
        await ctx.call({ method: 'GET', url: `/v1/projects/${(created.json() as { id: string }).id}`, key: tenant.secret }),
        await ctx.call({ method: 'GET', url: `/v1/projects/prj_${randomUUID()}`, key: tenant.secret }),
      ];
      assert.deepEqual(
        reads.map((r) => r.statusCode),
        [200, 200, 200, 404],
      );
      // A mutation after the reads: once its row is there, anything the reads wrote would be too.
      const marker = await ctx.call({ method: 'POST', url: `/v1/api-keys/key_${randomUUID()}/kill`, key: tenant.secret });
      await auditRowOf(marker);
      assert.equal(await totalRows(), before + 1);
      for (const read of reads) assert.deepEqual(await rowsFor(read), []);
    });
  });
}
