import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { expectError, issuePaths } from './helpers.ts';

/**
 * What Layers' own clients send, unchanged: `GET /v1/projects?search=` (a case-insensitive match
 * on the name) and the `X-Layers-Organization` header.
 */

interface Page {
  items: Array<{ id: string; name: string }>;
  nextCursor: string | null;
}

const NAMES = ['Acme Fitness', 'ACME Studio', 'Beta Bakery', '100% Organic', 'snake_case app', 'Back\\slash'];

for (const engine of engines) {
  describe(`Layers clients unchanged (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let other: Tenant;
    const ids = new Map<string, string>();

    const list = async (query: string, secret = tenant.secret): Promise<Page> => {
      const res = await ctx.call({ method: 'GET', url: `/v1/projects?${query}`, key: secret });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as Page;
    };
    const names = async (search: string) => (await list(new URLSearchParams({ search }).toString())).items.map((p) => p.name).sort();

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant({ orgName: 'Mine' });
      other = await ctx.tenant({ orgName: 'Theirs' });
      for (const name of NAMES) {
        const res = await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name, timezone: 'UTC' } });
        assert.equal(res.statusCode, 201, res.body);
        ids.set(name, (res.json() as { id: string }).id);
      }
      const theirs = await ctx.call({ method: 'POST', url: '/v1/projects', key: other.secret, body: { name: 'Acme Rival', timezone: 'UTC' } });
      assert.equal(theirs.statusCode, 201, theirs.body);
    });
    after(() => ctx.close());

    describe('GET /v1/projects?search=', () => {
      test('matches a substring of the name whatever its case, within the caller’s organization only', async () => {
        assert.deepEqual(await names('acme'), ['ACME Studio', 'Acme Fitness']);
        assert.deepEqual(await names('aCmE sT'), ['ACME Studio']);
        assert.deepEqual(await names('BAKERY'), ['Beta Bakery']);
        assert.deepEqual(await names('nothing like it'), []);
        assert.deepEqual(await names('rival'), [], 'another organization’s project is not found');
      });

      test('%, _ and \\ are literal characters, not wildcards', async () => {
        assert.deepEqual(await names('%'), ['100% Organic']);
        assert.deepEqual(await names('_'), ['snake_case app']);
        assert.deepEqual(await names('e_c'), ['snake_case app']);
        assert.deepEqual(await names('\\'), ['Back\\slash']);
        assert.deepEqual(await names('k\\s'), ['Back\\slash']);
      });

      test('combines with status and with pagination', async () => {
        const first = await list('search=acme&limit=1');
        assert.equal(first.items.length, 1);
        assert.ok(first.nextCursor);
        const second = await list(`search=acme&limit=1&cursor=${first.nextCursor}`);
        assert.equal(second.items.length, 1);
        assert.equal(second.nextCursor, null);
        assert.deepEqual([first.items[0]?.name, second.items[0]?.name].sort(), ['ACME Studio', 'Acme Fitness']);

        const archive = await ctx.call({ method: 'DELETE', url: `/v1/projects/${ids.get('Acme Fitness')}`, key: tenant.secret });
        assert.equal(archive.statusCode, 200, archive.body);
        assert.deepEqual((await list('search=acme&status=active')).items.map((p) => p.name), ['ACME Studio']);
        const restore = await ctx.call({ method: 'PATCH', url: `/v1/projects/${ids.get('Acme Fitness')}`, key: tenant.secret, body: { status: 'active' } });
        assert.equal(restore.statusCode, 200, restore.body);
      });

      test('an empty or over-long search is a 422 naming the parameter', async () => {
        for (const search of ['', 'x'.repeat(129)]) {
          const res = await ctx.call({ method: 'GET', url: `/v1/projects?search=${search}`, key: tenant.secret });
          assert.deepEqual(issuePaths(res), ['search']);
        }
      });
    });

    describe('X-Layers-Organization', () => {
      const whoami = (organization: string, secret = tenant.secret) =>
        ctx.call({ method: 'GET', url: '/v1/whoami', key: secret, headers: { 'x-layers-organization': organization } });

      test('naming the key’s own organization (prefixed or bare) changes nothing', async () => {
        for (const value of [tenant.organizationId, tenant.organizationId.slice('org_'.length), tenant.organizationId.toUpperCase().replace('ORG_', 'org_')]) {
          const res = await whoami(value);
          assert.equal(res.statusCode, 200, `${value}: ${res.body}`);
          assert.equal((res.json() as { organizationId: string }).organizationId, tenant.organizationId);
        }
        const listed = await ctx.call({
          method: 'GET',
          url: '/v1/projects?search=beta',
          key: tenant.secret,
          headers: { 'x-layers-organization': tenant.organizationId },
        });
        assert.deepEqual((listed.json() as Page).items.map((p) => p.name), ['Beta Bakery']);
      });

      test('another organization, or anything else, is 404 NOT_FOUND on every /v1 route', async () => {
        for (const value of [other.organizationId, 'org_00000000-0000-4000-8000-000000000000', 'acme', '']) {
          expectError(await whoami(value), 404, 'NOT_FOUND');
        }
        const read = await ctx.call({
          method: 'GET',
          url: `/v1/projects/${ids.get('Beta Bakery')}`,
          key: tenant.secret,
          headers: { 'x-layers-organization': other.organizationId },
        });
        expectError(read, 404, 'NOT_FOUND');
      });

      test('a refused write creates nothing and leaves its Idempotency-Key unused', async () => {
        const create = (organization: string) =>
          ctx.call({
            method: 'POST',
            url: '/v1/projects',
            key: tenant.secret,
            body: { name: 'Via header', timezone: 'UTC' },
            headers: { 'x-layers-organization': organization, 'idempotency-key': 'org-header-write' },
          });
        expectError(await create(other.organizationId), 404, 'NOT_FOUND');
        assert.deepEqual(await names('via header'), []);
        const created = await create(tenant.organizationId);
        assert.equal(created.statusCode, 201, created.body);
        assert.equal(created.headers['idempotent-replayed'], undefined);
        assert.deepEqual(await names('via header'), ['Via header']);
      });

      test('checked in the contract’s order: 401 and 422 come first', async () => {
        const unauthenticated = await ctx.call({ method: 'GET', url: '/v1/whoami', headers: { 'x-layers-organization': other.organizationId } });
        expectError(unauthenticated, 401, 'UNAUTHENTICATED');
        const invalid = await ctx.call({
          method: 'POST',
          url: '/v1/projects',
          key: tenant.secret,
          body: { name: 'x' },
          headers: { 'x-layers-organization': other.organizationId },
        });
        assert.deepEqual(issuePaths(invalid), ['name', 'timezone']);
      });
    });
  });
}
