import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { purgeExpired } from '../../src/housekeeping.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { eventually } from '../foundation/helpers.ts';

/**
 * Finding 2: every mutating /v1 request wrote an audit row (401s and unmatched paths included)
 * with the raw path, and nothing purged the table: one anonymous client filled the disk at about
 * 19 MB/s. Only authenticated requests are audited, with the route template, and rows older than
 * AUDIT_RETENTION_DAYS are purged.
 */
const DAY = 24 * 60 * 60 * 1000;

for (const engine of engines) {
  describe(`the audit log cannot be filled by strangers and does not grow forever (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    const count = async () => Number((await ctx.database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    /** A mutation that is audited; once its row exists, any row an earlier request wrote would too. */
    const marker = async () => {
      const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Marker', timezone: 'UTC' } });
      await eventually(async () => {
        const rows = await ctx.database.db.selectFrom('audit_log').select('id').where('request_id', '=', String(res.headers['x-request-id'])).execute();
        assert.equal(rows.length, 1);
      });
    };

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
    });
    after(() => ctx.close());

    test('anonymous, wrongly keyed and unmatched mutations write nothing, however long their path', async () => {
      await marker();
      const before = await count();
      const long = `/v1/${'x'.repeat(8_000)}`;
      const answers = [
        await ctx.call({ method: 'POST', url: '/v1/projects', body: { name: 'Anon', timezone: 'UTC' } }),
        await ctx.call({ method: 'POST', url: '/v1/projects', key: `${tenant.secret.slice(0, -4)}AAAA`, body: { name: 'Forged', timezone: 'UTC' } }),
        await ctx.call({ method: 'DELETE', url: long }),
        await ctx.call({ method: 'POST', url: long, key: tenant.secret, body: {} }),
        await ctx.call({ method: 'PATCH', url: `/v1/projects/${'y'.repeat(90)}/nothing`, key: tenant.secret, body: {} }),
      ];
      assert.deepEqual(answers.map((a) => a.statusCode), [401, 401, 404, 404, 404]);
      await marker();
      assert.equal(await count(), before + 1, 'only the marker was audited');
    });

    test('an authenticated mutation stores the route template, never the raw path', async () => {
      const projectId = (await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Templates', timezone: 'UTC' } })).json().id as string;
      const res = await ctx.call({ method: 'PATCH', url: `/v1/projects/${projectId.slice(4).toUpperCase()}`, key: tenant.secret, body: { tagline: 'x' } });
      assert.equal(res.statusCode, 200);
      const row = await eventually(async () => {
        const found = await ctx.database.db.selectFrom('audit_log').selectAll().where('request_id', '=', String(res.headers['x-request-id'])).executeTakeFirst();
        assert.ok(found);
        return found;
      });
      assert.equal(row.route, '/v1/projects/:projectId');
      assert.equal(row.project_id, projectId);
    });

    test('housekeeping purges rows older than the retention (90 days by default, AUDIT_RETENTION_DAYS otherwise)', async () => {
      await ctx.database.db.deleteFrom('audit_log').execute();
      const at = (daysAgo: number) => new Date(ctx.clock.now().getTime() - daysAgo * DAY).toISOString();
      const row = (id: string, daysAgo: number) => ({
        id,
        at: at(daysAgo),
        request_id: `req_${id}`,
        api_key_id: tenant.apiKeyId,
        organization_id: tenant.organizationId,
        project_id: null,
        method: 'POST',
        route: '/v1/projects',
        status_code: 201,
      });
      await ctx.database.db.insertInto('audit_log').values([row('aud_a', 200), row('aud_b', 91), row('aud_c', 89), row('aud_d', 10), row('aud_e', 1)]).execute();
      const ids = async () => (await ctx.database.db.selectFrom('audit_log').select('id').orderBy('id').execute()).map((r) => r.id);

      assert.equal((await purgeExpired(ctx.database, ctx.clock)).auditRows, 2);
      assert.deepEqual(await ids(), ['aud_c', 'aud_d', 'aud_e']);
      assert.equal((await purgeExpired(ctx.database, ctx.clock, { auditRetentionDays: 7 })).auditRows, 2);
      assert.deepEqual(await ids(), ['aud_e']);
    });
  });
}

describe('AUDIT_RETENTION_DAYS', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'layers-audit-config-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const base = { DATA_DIR: dataDir, LAYERS_SECRET_KEY: 'k'.repeat(43) };

  test('defaults to 90, accepts whole days, refuses anything else by name', () => {
    assert.equal(loadConfig(base).auditRetentionDays, 90);
    assert.equal(loadConfig({ ...base, AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays, 30);
    for (const bad of ['0', '-1', '1.5', 'ninety', '100000']) {
      assert.throws(() => loadConfig({ ...base, AUDIT_RETENTION_DAYS: bad }), (e: unknown) => e instanceof ConfigError && /AUDIT_RETENTION_DAYS/.test(e.message), bad);
    }
  });
});
