import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { DESCRIPTION_100, expectError, fullProjectBody, issuePaths } from './helpers.ts';

interface Project {
  id: string;
  organizationId: string;
  name: string;
  status: 'active' | 'archived';
  timezone: string;
  customerExternalId: string | null;
  ownerEmail: string | null;
  primaryLanguage: string;
  appName: string | null;
  appDescription: string | null;
  tagline: string | null;
  brandVoice: string | null;
  targetGender: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

interface Page {
  items: Project[];
  nextCursor: string | null;
}

const PROJECT_FIELDS = [
  'id',
  'organizationId',
  'name',
  'status',
  'timezone',
  'customerExternalId',
  'ownerEmail',
  'primaryLanguage',
  'appName',
  'appDescription',
  'tagline',
  'brandVoice',
  'targetGender',
  'metadata',
  'createdAt',
  'updatedAt',
].sort();

const PRJ_ID = /^prj_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

for (const engine of engines) {
  describe(`projects (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let other: Tenant;

    const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, secret = tenant.secret) =>
      ctx.call({ method, url, key: secret, ...(body !== undefined ? { body } : {}) });
    const createProject = async (body: Record<string, unknown>, secret = tenant.secret): Promise<Project> => {
      const res = await call('POST', '/v1/projects', body, secret);
      assert.equal(res.statusCode, 201, res.body);
      return res.json() as Project;
    };
    const listAll = async (query: string): Promise<Project[]> => {
      const res = await call('GET', `/v1/projects?${query}`);
      assert.equal(res.statusCode, 200, res.body);
      return (res.json() as Page).items;
    };

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant({ orgName: 'Mine' });
      other = await ctx.tenant({ orgName: 'Theirs' });
    });
    after(() => ctx.close());

    describe('create', () => {
      test('201 with the full record of §1, every field as sent', async () => {
        const body = fullProjectBody({ customerExternalId: 'full-1' });
        const res = await call('POST', '/v1/projects', body);
        assert.equal(res.statusCode, 201, res.body);
        assert.match(String(res.headers['content-type']), /^application\/json/);
        const project = res.json() as Project;
        assert.deepEqual(Object.keys(project).sort(), PROJECT_FIELDS);
        assert.match(project.id, PRJ_ID);
        const now = ctx.clock.now().toISOString();
        assert.deepEqual(project, {
          ...body,
          id: project.id,
          organizationId: tenant.organizationId,
          status: 'active',
          createdAt: now,
          updatedAt: now,
        });
        assert.match(project.createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);

        const row = await ctx.database.db.selectFrom('projects').selectAll().where('id', '=', project.id).executeTakeFirstOrThrow();
        assert.equal(row.organization_id, tenant.organizationId);
        assert.equal(row.customer_external_id, 'full-1');
        assert.equal(row.app_description, DESCRIPTION_100);
        assert.deepEqual(JSON.parse(row.metadata ?? 'null'), body.metadata);
      });

      test('defaults: primaryLanguage "en", optional fields null, metadata {}', async () => {
        const project = await createProject({ name: 'Minimal', timezone: 'America/New_York' });
        assert.deepEqual(
          { ...project, id: '', createdAt: '', updatedAt: '' },
          {
            id: '',
            organizationId: tenant.organizationId,
            name: 'Minimal',
            status: 'active',
            timezone: 'America/New_York',
            customerExternalId: null,
            ownerEmail: null,
            primaryLanguage: 'en',
            appName: null,
            appDescription: null,
            tagline: null,
            brandVoice: null,
            targetGender: null,
            metadata: {},
            createdAt: '',
            updatedAt: '',
          },
        );
      });

      test('metadata is returned as given (nested values, unicode, numbers)', async () => {
        const metadata = { crm: { id: 42, tags: ['vip', 'früh'] }, emoji: '🎉', flag: false, nothing: null, ratio: 0.25 };
        const project = await createProject({ name: 'Meta', timezone: 'UTC', metadata });
        assert.deepEqual(project.metadata, metadata);
        assert.deepEqual((await call('GET', `/v1/projects/${project.id}`)).json().metadata, metadata);
      });

      test('409 CONFLICT on a customerExternalId already used in the organization; another organization may use it', async () => {
        await createProject({ name: 'Dup one', timezone: 'UTC', customerExternalId: 'dup-ext' });
        const res = await call('POST', '/v1/projects', { name: 'Dup two', timezone: 'UTC', customerExternalId: 'dup-ext' });
        expectError(res, 409, 'CONFLICT');
        const rows = await ctx.database.db.selectFrom('projects').select('name').where('customer_external_id', '=', 'dup-ext').execute();
        assert.deepEqual(
          rows.map((r) => r.name),
          ['Dup one'],
        );
        const theirs = await createProject({ name: 'Dup other org', timezone: 'UTC', customerExternalId: 'dup-ext' }, other.secret);
        assert.equal(theirs.organizationId, other.organizationId);
      });

      test('any number of projects may leave customerExternalId unset', async () => {
        await createProject({ name: 'No ext 1', timezone: 'UTC' });
        await createProject({ name: 'No ext 2', timezone: 'UTC' });
      });
    });

    describe('read', () => {
      test('GET by prefixed id, by bare UUID, by upper-case bare UUID', async () => {
        const project = await createProject({ name: 'Lookup', timezone: 'UTC' });
        const bare = project.id.slice('prj_'.length);
        for (const id of [project.id, bare, bare.toUpperCase()]) {
          const res = await call('GET', `/v1/projects/${id}`);
          assert.equal(res.statusCode, 200, id);
          assert.deepEqual(res.json(), project);
        }
      });

      test('another organization’s project is 404 NOT_FOUND (never 403) on GET, PATCH and DELETE, and stays untouched', async () => {
        const theirs = await createProject({ name: 'Their project', timezone: 'UTC', customerExternalId: 'theirs-1' }, other.secret);
        const bare = theirs.id.slice(4);
        for (const id of [theirs.id, bare]) {
          expectError(await call('GET', `/v1/projects/${id}`), 404, 'NOT_FOUND');
          expectError(await call('PATCH', `/v1/projects/${id}`, { name: 'Hijacked' }), 404, 'NOT_FOUND');
          expectError(await call('PATCH', `/v1/projects/${id}`, { status: 'archived' }), 404, 'NOT_FOUND');
          expectError(await call('DELETE', `/v1/projects/${id}`), 404, 'NOT_FOUND');
        }
        // The 404 reads the same as for an id that exists nowhere.
        const absent = await call('GET', `/v1/projects/prj_${randomUUID()}`);
        expectError(absent, 404, 'NOT_FOUND');
        const cross = await call('GET', `/v1/projects/${theirs.id}`);
        assert.equal(
          (cross.json() as { error: { message: string } }).error.message.replace(theirs.id, 'ID'),
          (absent.json() as { error: { message: string } }).error.message.replace(/prj_[0-9a-f-]+/, 'ID'),
        );
        const row = await ctx.database.db.selectFrom('projects').selectAll().where('id', '=', theirs.id).executeTakeFirstOrThrow();
        assert.equal(row.name, 'Their project');
        assert.equal(row.status, 'active');
        assert.equal(row.updated_at, theirs.updatedAt);
        // Lists and filters never reveal it either.
        assert.ok(!(await listAll('limit=200')).some((p) => p.id === theirs.id));
        assert.deepEqual(await listAll('customerExternalId=theirs-1'), []);
        // Its owner still sees it as it was.
        assert.deepEqual((await call('GET', `/v1/projects/${theirs.id}`, undefined, other.secret)).json(), theirs);
      });
    });

    describe('list', () => {
      let lister: Tenant;
      let created: Project[];

      before(async () => {
        // A fresh organization so the list holds exactly what this block creates.
        lister = await ctx.tenant({ orgName: 'Lister' });
        created = [];
        for (let i = 0; i < 11; i++) {
          // Some projects share a creation instant, so the keyset must break ties by id.
          if (i % 3 === 0) ctx.clock.advance(1_000);
          const res = await ctx.call({
            method: 'POST',
            url: '/v1/projects',
            key: lister.secret,
            body: { name: `Listed ${i}`, timezone: 'UTC', customerExternalId: `list-${i}` },
          });
          assert.equal(res.statusCode, 201);
          created.push(res.json() as Project);
        }
        for (const i of [2, 5, 9]) {
          const res = await ctx.call({ method: 'DELETE', url: `/v1/projects/${created[i]?.id}`, key: lister.secret });
          assert.equal(res.statusCode, 200);
        }
      });

      const get = (query: string) => ctx.call({ method: 'GET', url: `/v1/projects?${query}`, key: lister.secret });
      const newestFirst = (projects: Project[]) =>
        [...projects].sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1)).map((p) => p.id);

      test('without parameters: every project of the organization, newest first, nextCursor null', async () => {
        const res = await get('');
        assert.equal(res.statusCode, 200);
        const page = res.json() as Page;
        assert.deepEqual(Object.keys(page).sort(), ['items', 'nextCursor']);
        assert.equal(page.nextCursor, null);
        assert.deepEqual(
          page.items.map((p) => p.id),
          newestFirst(created),
        );
        for (const item of page.items) assert.deepEqual(Object.keys(item).sort(), PROJECT_FIELDS);
      });

      test('limit + cursor walk every page: no duplicates, no gaps, nextCursor null at the end', async () => {
        for (const limit of [1, 3, 4, 11]) {
          const seen: string[] = [];
          let cursor: string | null = null;
          let pages = 0;
          do {
            const res = await get(`limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
            assert.equal(res.statusCode, 200, res.body);
            const page = res.json() as Page;
            assert.ok(page.items.length <= limit);
            if (page.nextCursor !== null) assert.equal(page.items.length, limit);
            seen.push(...page.items.map((p) => p.id));
            cursor = page.nextCursor;
            pages++;
            assert.ok(pages <= 12, 'pagination must terminate');
          } while (cursor !== null);
          assert.equal(pages, Math.ceil(11 / limit), `limit ${limit}`);
          assert.deepEqual(seen, newestFirst(created), `limit ${limit}`);
        }
      });

      test('a page created after the cursor was issued does not shift later pages', async () => {
        const first = (await get('limit=4').then((r) => r.json())) as Page;
        ctx.clock.advance(1_000);
        const late = await ctx.call({ method: 'POST', url: '/v1/projects', key: lister.secret, body: { name: 'Late', timezone: 'UTC' } });
        assert.equal(late.statusCode, 201);
        const second = (await get(`limit=4&cursor=${first.nextCursor}`).then((r) => r.json())) as Page;
        assert.deepEqual(
          second.items.map((p) => p.id),
          newestFirst(created).slice(4, 8),
        );
        // From here on, the list holds it too.
        created.push(late.json() as Project);
      });

      test('filters: status and customerExternalId, alone, combined, and paginated', async () => {
        const archivedIds = [2, 5, 9].map((i) => created[i]?.id);
        const archived = (await get('status=archived').then((r) => r.json())) as Page;
        assert.deepEqual(
          archived.items.map((p) => p.id),
          newestFirst(created.filter((p) => archivedIds.includes(p.id))),
        );
        assert.ok(archived.items.every((p) => p.status === 'archived'));

        const active = (await get('status=active').then((r) => r.json())) as Page;
        assert.deepEqual(
          active.items.map((p) => p.id),
          newestFirst(created.filter((p) => !archivedIds.includes(p.id))),
        );

        const one = (await get('customerExternalId=list-4').then((r) => r.json())) as Page;
        assert.deepEqual(
          one.items.map((p) => p.id),
          [created[4]?.id],
        );
        assert.deepEqual(((await get('customerExternalId=list-5&status=active').then((r) => r.json())) as Page).items, []);
        assert.deepEqual(
          ((await get('customerExternalId=list-5&status=archived').then((r) => r.json())) as Page).items.map((p) => p.id),
          [created[5]?.id],
        );
        assert.deepEqual(((await get('customerExternalId=nobody').then((r) => r.json())) as Page), { items: [], nextCursor: null });

        const p1 = (await get('status=archived&limit=2').then((r) => r.json())) as Page;
        assert.equal(p1.items.length, 2);
        assert.notEqual(p1.nextCursor, null);
        const p2 = (await get(`status=archived&limit=2&cursor=${p1.nextCursor}`).then((r) => r.json())) as Page;
        assert.equal(p2.items.length, 1);
        assert.equal(p2.nextCursor, null);
        assert.deepEqual([...p1.items, ...p2.items].map((p) => p.id), archived.items.map((p) => p.id));
      });

      test('an invalid cursor is 422 VALIDATION naming "cursor"', async () => {
        for (const cursor of ['not-a-cursor', Buffer.from('{"at":1}').toString('base64url'), Buffer.from('[]').toString('base64url'), 'x'.repeat(600)]) {
          assert.deepEqual(issuePaths(await get(`cursor=${cursor}`)), ['cursor'], cursor);
        }
      });
    });

    describe('update and archive', () => {
      test('PATCH: omitted fields unchanged, metadata replaced whole, updatedAt moves, the full record returned', async () => {
        const project = await createProject(fullProjectBody({ customerExternalId: `patch-${randomUUID()}` }));
        ctx.clock.advance(60_000);
        const res = await call('PATCH', `/v1/projects/${project.id}`, { name: 'Renamed', metadata: { only: 'this' } });
        assert.equal(res.statusCode, 200, res.body);
        const updated = res.json() as Project;
        assert.deepEqual(updated, {
          ...project,
          name: 'Renamed',
          metadata: { only: 'this' },
          updatedAt: ctx.clock.now().toISOString(),
        });
        assert.notEqual(updated.updatedAt, project.updatedAt);
        assert.deepEqual((await call('GET', `/v1/projects/${project.id}`)).json(), updated);
      });

      test('PATCH with an empty body changes nothing but updatedAt', async () => {
        const project = await createProject(fullProjectBody({ customerExternalId: `empty-${randomUUID()}` }));
        ctx.clock.advance(1_000);
        const res = await call('PATCH', `/v1/projects/${project.id}`, {});
        assert.equal(res.statusCode, 200);
        const { updatedAt: _u, ...rest } = res.json() as Project;
        const { updatedAt: _p, ...was } = project;
        assert.deepEqual(rest, was);
      });

      test('PATCH null clears every optional field', async () => {
        const project = await createProject(fullProjectBody({ customerExternalId: `clear-${randomUUID()}` }));
        const res = await call('PATCH', `/v1/projects/${project.id}`, {
          customerExternalId: null,
          ownerEmail: null,
          appName: null,
          appDescription: null,
          tagline: null,
          brandVoice: null,
          targetGender: null,
          metadata: null,
        });
        assert.equal(res.statusCode, 200, res.body);
        const cleared = res.json() as Project;
        assert.deepEqual(
          [cleared.customerExternalId, cleared.ownerEmail, cleared.appName, cleared.appDescription, cleared.tagline, cleared.brandVoice, cleared.targetGender],
          [null, null, null, null, null, null, null],
        );
        assert.deepEqual(cleared.metadata, {});
        assert.equal(cleared.name, project.name);
        assert.equal(cleared.primaryLanguage, project.primaryLanguage);
        const row = await ctx.database.db.selectFrom('projects').selectAll().where('id', '=', project.id).executeTakeFirstOrThrow();
        assert.equal(row.customer_external_id, null);
        assert.equal(row.owner_email, null);
      });

      test('PATCH every field at once, by bare UUID', async () => {
        const project = await createProject({ name: 'Before all', timezone: 'UTC' });
        const patch = {
          name: 'After all',
          timezone: 'Asia/Tokyo',
          customerExternalId: `all-${randomUUID()}`,
          ownerEmail: 'new@example.org',
          primaryLanguage: 'ja',
          appName: 'Renamed app',
          appDescription: 'd'.repeat(150),
          tagline: 'New tagline',
          brandVoice: 'witty',
          targetGender: 'female',
          metadata: { v: 2 },
        };
        const res = await call('PATCH', `/v1/projects/${project.id.slice(4)}`, patch);
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(res.json(), { ...project, ...patch, updatedAt: ctx.clock.now().toISOString() });
      });

      test('PATCH to a customerExternalId another project holds: 409 CONFLICT, nothing changes; keeping its own is fine', async () => {
        const a = await createProject({ name: 'Holder', timezone: 'UTC', customerExternalId: 'patch-dup-a' });
        const b = await createProject({ name: 'Taker', timezone: 'UTC', customerExternalId: 'patch-dup-b' });
        expectError(await call('PATCH', `/v1/projects/${b.id}`, { customerExternalId: 'patch-dup-a', name: 'Taker renamed' }), 409, 'CONFLICT');
        const row = await ctx.database.db.selectFrom('projects').select(['name', 'customer_external_id']).where('id', '=', b.id).executeTakeFirstOrThrow();
        assert.deepEqual({ ...row }, { name: 'Taker', customer_external_id: 'patch-dup-b' });
        const same = await call('PATCH', `/v1/projects/${a.id}`, { customerExternalId: 'patch-dup-a' });
        assert.equal(same.statusCode, 200);
      });

      test('status: PATCH archived / active; DELETE archives (200, still readable) and PATCH active restores', async () => {
        const project = await createProject({ name: 'Lifecycle', timezone: 'UTC' });
        const archivedByPatch = await call('PATCH', `/v1/projects/${project.id}`, { status: 'archived' });
        assert.equal((archivedByPatch.json() as Project).status, 'archived');
        const activeAgain = await call('PATCH', `/v1/projects/${project.id}`, { status: 'active' });
        assert.equal((activeAgain.json() as Project).status, 'active');

        ctx.clock.advance(1_000);
        const del = await call('DELETE', `/v1/projects/${project.id}`);
        assert.equal(del.statusCode, 200);
        const archived = del.json() as Project;
        assert.deepEqual(archived, { ...project, status: 'archived', updatedAt: ctx.clock.now().toISOString() });
        const row = await ctx.database.db.selectFrom('projects').select('status').where('id', '=', project.id).executeTakeFirstOrThrow();
        assert.equal(row.status, 'archived');
        assert.equal(((await call('GET', `/v1/projects/${project.id}`)).json() as Project).status, 'archived');
        // Archiving twice is harmless.
        assert.equal((await call('DELETE', `/v1/projects/${project.id.slice(4)}`)).statusCode, 200);

        const restored = await call('PATCH', `/v1/projects/${project.id}`, { status: 'active' });
        assert.equal(restored.statusCode, 200);
        assert.equal((restored.json() as Project).status, 'active');
        assert.equal(((await call('GET', `/v1/projects/${project.id}`)).json() as Project).status, 'active');
      });
    });
  });
}
