import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { DESCRIPTION_100, REQUEST_ID, expectError, expectIssues, fullProjectBody, issuePaths } from './helpers.ts';

for (const engine of engines) {
  describe(`errors: envelope, 400, 404, 422 (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let projectId: string;

    const countProjects = async () =>
      Number((await ctx.database.db.selectFrom('projects').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Base project', timezone: 'UTC' } });
      assert.equal(res.statusCode, 201);
      projectId = (res.json() as { id: string }).id;
    });
    after(() => ctx.close());

    describe('X-Request-Id', () => {
      test('every response carries a fresh req_<ULID> X-Request-Id, success or error, /v1 or not', async () => {
        const responses = [
          await ctx.call({ method: 'GET', url: '/v1/whoami', key: tenant.secret }),
          await ctx.call({ method: 'GET', url: '/v1/whoami' }),
          await ctx.call({ method: 'GET', url: '/no/such/route' }),
          await ctx.call({ method: 'GET', url: '/healthz' }),
        ];
        assert.deepEqual(
          responses.map((r) => r.statusCode),
          [200, 401, 404, 200],
        );
        const ids = responses.map((r) => String(r.headers['x-request-id']));
        for (const id of ids) assert.match(id, REQUEST_ID);
        assert.equal(new Set(ids).size, ids.length, 'request ids must be unique');
      });

      test('a client-sent X-Request-Id is not echoed (the id is the server’s own)', async () => {
        const res = await ctx.call({ method: 'GET', url: '/v1/whoami', key: tenant.secret, headers: { 'x-request-id': 'forged-id' } });
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['x-request-id']), REQUEST_ID);
      });
    });

    describe('400 VALIDATION (unparseable requests)', () => {
      test('malformed JSON body', async () => {
        const before = await countProjects();
        const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: '{"name": "Broken",' });
        expectError(res, 400, 'VALIDATION');
        assert.equal(await countProjects(), before);
      });

      test('malformed JSON on PATCH', async () => {
        const res = await ctx.call({ method: 'PATCH', url: `/v1/projects/${projectId}`, key: tenant.secret, body: '{name: x}' });
        expectError(res, 400, 'VALIDATION');
      });

      test('a text/plain body', async () => {
        const res = await ctx.call({
          method: 'POST',
          url: '/v1/projects',
          key: tenant.secret,
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ name: 'Plain text', timezone: 'UTC' }),
        });
        expectError(res, 400, 'VALIDATION');
      });

      test('application/json with a charset parameter is JSON', async () => {
        const res = await ctx.call({
          method: 'POST',
          url: '/v1/projects',
          key: tenant.secret,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify({ name: 'Charset', timezone: 'UTC' }),
        });
        assert.equal(res.statusCode, 201, res.body);
      });

      test('an empty body declared as JSON', async () => {
        const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: '' });
        expectError(res, 400, 'VALIDATION');
      });

      test('a body over 1 MiB', async () => {
        const before = await countProjects();
        const huge = JSON.stringify({ name: 'Huge one', timezone: 'UTC', tagline: 'x'.repeat(1024 * 1024) });
        assert.ok(Buffer.byteLength(huge) > 1024 * 1024);
        const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: huge });
        expectError(res, 400, 'VALIDATION');
        assert.equal(await countProjects(), before);
      });

      test('a malformed path id, on GET, PATCH and DELETE', async () => {
        for (const bad of ['xyz', 'prj_not-a-uuid', `sa_${randomUUID()}`, `${randomUUID()}0`]) {
          for (const method of ['GET', 'DELETE'] as const) {
            const details = expectError(await ctx.call({ method, url: `/v1/projects/${bad}`, key: tenant.secret }), 400, 'VALIDATION');
            const issues = details.issues as Array<{ path: string }>;
            assert.equal(issues[0]?.path, 'projectId');
          }
          const res = await ctx.call({ method: 'PATCH', url: `/v1/projects/${bad}`, key: tenant.secret, body: { name: 'Valid name' } });
          expectError(res, 400, 'VALIDATION');
        }
      });

      test('a malformed key id on the api-keys routes', async () => {
        expectError(await ctx.call({ method: 'POST', url: '/v1/api-keys/not-a-key/kill', key: tenant.secret }), 400, 'VALIDATION');
        expectError(await ctx.call({ method: 'DELETE', url: `/v1/api-keys/prj_${randomUUID()}`, key: tenant.secret }), 400, 'VALIDATION');
      });
    });

    describe('404 NOT_FOUND', () => {
      test('an unknown route, with or without a key', async () => {
        expectError(await ctx.call({ method: 'GET', url: '/v1/nope', key: tenant.secret }), 404, 'NOT_FOUND');
        expectError(await ctx.call({ method: 'GET', url: '/v1/nope' }), 404, 'NOT_FOUND');
        expectError(await ctx.call({ method: 'POST', url: '/v2/projects', key: tenant.secret, body: {} }), 404, 'NOT_FOUND');
        expectError(await ctx.call({ method: 'PUT', url: '/v1/projects', key: tenant.secret, body: {} }), 404, 'NOT_FOUND');
      });

      test('a well-formed project id that does not exist, on GET, PATCH and DELETE', async () => {
        const missing = `prj_${randomUUID()}`;
        expectError(await ctx.call({ method: 'GET', url: `/v1/projects/${missing}`, key: tenant.secret }), 404, 'NOT_FOUND');
        expectError(await ctx.call({ method: 'PATCH', url: `/v1/projects/${missing}`, key: tenant.secret, body: { name: 'Renamed' } }), 404, 'NOT_FOUND');
        expectError(await ctx.call({ method: 'DELETE', url: `/v1/projects/${missing}`, key: tenant.secret }), 404, 'NOT_FOUND');
      });

      test('a key id that does not exist', async () => {
        expectError(await ctx.call({ method: 'POST', url: `/v1/api-keys/key_${randomUUID()}/kill`, key: tenant.secret }), 404, 'NOT_FOUND');
        expectError(await ctx.call({ method: 'DELETE', url: `/v1/api-keys/${randomUUID()}`, key: tenant.secret }), 404, 'NOT_FOUND');
      });
    });

    describe('422 VALIDATION (schema)', () => {
      const post = (body: unknown) => ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body });

      test('an unknown field is named by its path, and nothing is created', async () => {
        const before = await countProjects();
        const res = await post({ name: 'Strict body', timezone: 'UTC', colour: 'blue' });
        const issues = expectIssues(res);
        assert.deepEqual(
          issues.map((i) => [i.path, i.code]),
          [['colour', 'unrecognized_keys']],
        );
        assert.equal(await countProjects(), before);
      });

      test('read-only fields are unknown fields on create and on PATCH', async () => {
        assert.deepEqual(issuePaths(await post({ name: 'Strict body', timezone: 'UTC', id: 'prj_x', status: 'active' })), ['id', 'status']);
        const res = await ctx.call({
          method: 'PATCH',
          url: `/v1/projects/${projectId}`,
          key: tenant.secret,
          body: { organizationId: 'org_other', createdAt: '2020-01-01T00:00:00Z' },
        });
        assert.deepEqual(issuePaths(res), ['createdAt', 'organizationId']);
      });

      test('missing required fields', async () => {
        assert.deepEqual(issuePaths(await post({})), ['name', 'timezone']);
      });

      test('a body that is JSON but not an object', async () => {
        expectIssues(await post([{ name: 'Array body', timezone: 'UTC' }]));
        expectIssues(await post('"just a string"'));
        expectIssues(await post('null'));
        expectIssues(await post('42'));
      });

      test('wrong types: one issue per failing field', async () => {
        const res = await post({
          name: 123,
          timezone: true,
          customerExternalId: 7,
          brandVoice: 'loud',
          targetGender: 'everyone',
          metadata: ['not', 'an', 'object'],
        });
        assert.deepEqual(issuePaths(res), ['brandVoice', 'customerExternalId', 'metadata', 'name', 'targetGender', 'timezone']);
      });

      test('out of bounds: name, appName, appDescription, tagline, customerExternalId', async () => {
        const cases: Array<[Record<string, unknown>, string]> = [
          [{ name: 'ab' }, 'name'],
          [{ name: 'x'.repeat(31) }, 'name'],
          [{ appName: 'ab' }, 'appName'],
          [{ appName: 'x'.repeat(31) }, 'appName'],
          [{ appDescription: DESCRIPTION_100.slice(0, 99) }, 'appDescription'],
          [{ appDescription: 'x'.repeat(1001) }, 'appDescription'],
          [{ tagline: 'x'.repeat(81) }, 'tagline'],
          [{ customerExternalId: 'x'.repeat(129) }, 'customerExternalId'],
          [{ customerExternalId: '' }, 'customerExternalId'],
        ];
        for (const [override, path] of cases) {
          assert.deepEqual(issuePaths(await post(fullProjectBody({ customerExternalId: 'bounds', ...override }))), [path], JSON.stringify(override));
        }
      });

      test('the bounds themselves are accepted (3 and 30 chars, 100 and 1000 chars, 80, 128)', async () => {
        assert.equal(DESCRIPTION_100.length, 100);
        for (const [i, override] of [
          { name: 'abc', appName: 'abc', appDescription: DESCRIPTION_100, tagline: 'x'.repeat(80), customerExternalId: 'c'.repeat(128) },
          { name: 'x'.repeat(30), appName: 'y'.repeat(30), appDescription: 'z'.repeat(1000), tagline: '', customerExternalId: 'bounds-ok' },
        ].entries()) {
          const res = await post(fullProjectBody(override));
          assert.equal(res.statusCode, 201, `case ${i}: ${res.body}`);
        }
      });

      test('metadata over 8 KB serialized', async () => {
        const big = { blob: 'x'.repeat(8 * 1024) };
        assert.deepEqual(issuePaths(await post({ name: 'Big metadata', timezone: 'UTC', metadata: big })), ['metadata']);
        const patch = await ctx.call({ method: 'PATCH', url: `/v1/projects/${projectId}`, key: tenant.secret, body: { metadata: big } });
        assert.deepEqual(issuePaths(patch), ['metadata']);
        // Just under the limit is fine.
        const fits = { blob: 'x'.repeat(8 * 1024 - 20) };
        assert.ok(Buffer.byteLength(JSON.stringify(fits)) <= 8 * 1024);
        assert.equal((await post({ name: 'Fits metadata', timezone: 'UTC', metadata: fits })).statusCode, 201);
      });

      test('a timezone that is not an IANA zone name', async () => {
        for (const timezone of ['Mars/Olympus_Mons', '+01:00', 'Not a zone', '']) {
          assert.deepEqual(issuePaths(await post({ name: 'Bad zone', timezone })), ['timezone'], timezone);
        }
      });

      test('an ownerEmail that is not an email, a primaryLanguage that is not BCP-47', async () => {
        for (const ownerEmail of ['not-an-email', 'a@', '@example.com', 'two@@example.com']) {
          assert.deepEqual(issuePaths(await post({ name: 'Bad email', timezone: 'UTC', ownerEmail })), ['ownerEmail'], ownerEmail);
        }
        assert.deepEqual(issuePaths(await post({ name: 'Bad language', timezone: 'UTC', primaryLanguage: 'not a language!' })), ['primaryLanguage']);
      });

      test('PATCH is strict too: nulls on required fields, unknown status', async () => {
        const url = `/v1/projects/${projectId}`;
        assert.deepEqual(issuePaths(await ctx.call({ method: 'PATCH', url, key: tenant.secret, body: { name: null, timezone: null } })), ['name', 'timezone']);
        assert.deepEqual(issuePaths(await ctx.call({ method: 'PATCH', url, key: tenant.secret, body: { status: 'deleted' } })), ['status']);
        assert.deepEqual(issuePaths(await ctx.call({ method: 'PATCH', url, key: tenant.secret, body: { name: 'ab' } })), ['name']);
        const row = await ctx.database.db.selectFrom('projects').select(['name', 'status']).where('id', '=', projectId).executeTakeFirstOrThrow();
        assert.deepEqual({ ...row }, { name: 'Base project', status: 'active' });
      });

      test('query strings: unknown parameter, bad status, limit out of range', async () => {
        for (const [qs, path] of [
          ['colour=blue', 'colour'],
          ['status=deleted', 'status'],
          ['limit=0', 'limit'],
          ['limit=201', 'limit'],
          ['limit=ten', 'limit'],
        ]) {
          assert.deepEqual(issuePaths(await ctx.call({ method: 'GET', url: `/v1/projects?${qs}`, key: tenant.secret })), [path], qs);
        }
      });
    });
  });
}
