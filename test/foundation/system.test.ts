import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { REQUEST_ID } from './helpers.ts';

for (const engine of engines) {
  describe(`system routes (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
    });
    after(() => ctx.close());

    test('GET /healthz answers 200 without a key', async () => {
      const res = await ctx.call({ method: 'GET', url: '/healthz' });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { status: 'ok' });
      assert.match(String(res.headers['x-request-id']), REQUEST_ID);
    });

    test('GET /readyz answers 200 when the database answers', async () => {
      const res = await ctx.call({ method: 'GET', url: '/readyz' });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { status: 'ready' });
    });

    test('GET /metrics counts requests by route template and status', async () => {
      const project = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Metered', timezone: 'UTC' } });
      assert.equal(project.statusCode, 201);
      const id = (project.json() as { id: string }).id;
      for (let i = 0; i < 3; i++) assert.equal((await ctx.call({ method: 'GET', url: `/v1/projects/${id}`, key: tenant.secret })).statusCode, 200);
      assert.equal((await ctx.call({ method: 'GET', url: '/v1/projects', key: tenant.secret })).statusCode, 200);
      assert.equal((await ctx.call({ method: 'GET', url: '/v1/whoami' })).statusCode, 401);
      assert.equal((await ctx.call({ method: 'GET', url: '/wp-admin/secret-probe-123' })).statusCode, 404);

      const res = await ctx.call({ method: 'GET', url: '/metrics' });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain/);
      const text = res.body;
      assert.match(text, /# TYPE http_requests_total counter/);
      const count = (labels: RegExp) => {
        const line = text.split('\n').find((l) => l.startsWith('http_requests_total{') && labels.test(l));
        return line ? Number(line.split(' ').pop()) : 0;
      };
      assert.equal(count(/method="GET",route="\/v1\/projects\/:projectId",status="200"/), 3);
      assert.equal(count(/method="GET",route="\/v1\/projects",status="200"/), 1);
      assert.equal(count(/method="POST",route="\/v1\/projects",status="201"/), 1);
      assert.equal(count(/method="GET",route="\/v1\/whoami",status="401"/), 1);
      // Raw ids and unmatched paths never become label values.
      assert.ok(!text.includes(id));
      assert.ok(!text.includes('secret-probe-123'));
      assert.match(text, /http_request_duration_seconds_bucket\{/);
    });

    test('GET /openapi.json is OpenAPI 3.1 and documents /v1/projects', async () => {
      const res = await ctx.call({ method: 'GET', url: '/openapi.json' });
      assert.equal(res.statusCode, 200);
      const doc = res.json() as {
        openapi: string;
        info: { title: string; version: string };
        paths: Record<string, Record<string, unknown>>;
      };
      assert.match(doc.openapi, /^3\.1\./);
      assert.ok(doc.info.title.length > 0);
      const projects = doc.paths['/v1/projects'];
      assert.ok(projects, 'the /v1/projects path is documented');
      assert.ok(projects.post && projects.get, 'with POST and GET');
      const one = doc.paths['/v1/projects/{projectId}'];
      assert.ok(one?.get && one.patch && one.delete, 'and /v1/projects/{projectId} with GET, PATCH, DELETE');
      assert.ok(doc.paths['/v1/whoami']?.get);
    });

    test('GET /docs answers an HTML page (following a redirect if any)', async () => {
      let url = '/docs';
      let res = await ctx.call({ method: 'GET', url });
      for (let hops = 0; res.statusCode >= 300 && res.statusCode < 400 && hops < 5; hops++) {
        const location = String(res.headers.location);
        url = new URL(location, `http://127.0.0.1${url}`).pathname;
        res = await ctx.call({ method: 'GET', url });
      }
      assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 200)}`);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.match(res.body, /<html/i);
    });
  });
}
