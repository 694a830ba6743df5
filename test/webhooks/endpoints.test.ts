import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectError, expectIssues, turnsDuring } from '../foundation/helpers.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { verifySignature } from '../support/webhook-receiver.ts';
import {
  createEndpoint,
  createProject,
  deliveryRow,
  dumpDatabase,
  endpointRoutes,
  getEndpoint,
  patchEndpoint,
  sendTestPing,
  startReceiver,
  type EndpointView,
  type Receiver,
} from './helpers.ts';

const base = '/v1/webhook-endpoints';

for (const engine of engines) {
  describe(`webhook endpoint management (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let other: Tenant;
    let projectId: string;
    let otherProjectId: string;
    let receiver: Receiver;
    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      other = await ctx.tenant({ orgName: 'Other Org' });
      projectId = await createProject(ctx, tenant.secret);
      otherProjectId = await createProject(ctx, other.secret, 'Their app');
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      await ctx.close();
    });

    test('create → 201 with the endpoint and a whsec_ secret shown once; GET and list never show it, no table stores it in plaintext', async () => {
      const res = await ctx.call({
        method: 'POST',
        url: base,
        key: tenant.secret,
        body: { url: receiver.url, events: ['social_account.connected', 'post.published'], description: 'prod hooks', projectId },
      });
      assert.equal(res.statusCode, 201, res.body);
      const { endpoint, signingSecret } = res.json() as { endpoint: EndpointView; signingSecret: string };
      assert.match(signingSecret, /^whsec_[A-Za-z0-9_-]{20,}$/);
      assert.match(endpoint.id, /^we_/);
      assert.equal(endpoint.url, receiver.url);
      assert.deepEqual(endpoint.events, ['social_account.connected', 'post.published']);
      assert.equal(endpoint.description, 'prod hooks');
      assert.equal(endpoint.projectId, projectId);
      assert.equal(endpoint.status, 'active');
      assert.equal(endpoint.consecutiveFailures, 0);

      const got = await ctx.call({ method: 'GET', url: `${base}/${endpoint.id}`, key: tenant.secret });
      assert.equal(got.statusCode, 200);
      assert.deepEqual(got.json(), endpoint);
      const listed = await ctx.call({ method: 'GET', url: base, key: tenant.secret });
      assert.equal(listed.statusCode, 200);
      for (const body of [got.body, listed.body]) {
        assert.ok(!body.includes(signingSecret), 'the secret is shown only at creation');
        assert.ok(!body.includes('whsec_'), 'no secret of any endpoint is listed');
      }
      const stored = await dumpDatabase(ctx.database);
      assert.ok(stored.includes(endpoint.id), 'the dump covers the endpoint table');
      assert.ok(!stored.includes(signingSecret), 'the signing secret is stored only encrypted');
      assert.ok(!stored.includes(signingSecret.slice('whsec_'.length)));
    });

    test('the same secret returned at creation signs deliveries', async () => {
      const { endpoint, signingSecret } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      await sendTestPing(ctx, tenant.secret, endpoint.id);
      await ctx.deliveries.runOnce();
      const hook = receiver.received.find((h) => h.body.data.endpointId === endpoint.id);
      assert.ok(hook);
      assert.match(String(hook.headers['x-layers-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.ok(verifySignature(String(hook.headers['x-layers-signature']), hook.rawBody, signingSecret, Math.floor(ctx.clock.now().getTime() / 1000)));
    });

    test('list is paginated and filters by projectId and status', async () => {
      const org = await ctx.tenant({ orgName: 'Lister' });
      const project = await createProject(ctx, org.secret, 'Listed app');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const { endpoint } = await createEndpoint(ctx, org.secret, {
          url: `${receiver.url}/${i}`,
          events: ['test.ping'],
          ...(i < 2 ? { projectId: project } : {}),
        });
        ids.push(endpoint.id);
        ctx.clock.advance(1000);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 5; page++) {
        const res = await ctx.call({ method: 'GET', url: `${base}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, key: org.secret });
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json() as { items: EndpointView[]; nextCursor: string | null };
        assert.ok(body.items.length <= 2);
        seen.push(...body.items.map((e) => e.id));
        cursor = body.nextCursor;
        if (!cursor) break;
      }
      assert.equal(cursor, null);
      assert.deepEqual(seen, [...ids].reverse(), 'newest first, every endpoint once');

      const byProject = (await ctx.call({ method: 'GET', url: `${base}?projectId=${project}`, key: org.secret })).json() as { items: EndpointView[] };
      assert.deepEqual(byProject.items.map((e) => e.id).sort(), ids.slice(0, 2).sort());

      await patchEndpoint(ctx, org.secret, ids[3] as string, { status: 'paused' });
      const paused = (await ctx.call({ method: 'GET', url: `${base}?status=paused`, key: org.secret })).json() as { items: EndpointView[] };
      assert.deepEqual(paused.items.map((e) => e.id), [ids[3]]);
      const active = (await ctx.call({ method: 'GET', url: `${base}?status=active`, key: org.secret })).json() as { items: EndpointView[] };
      assert.equal(active.items.length, 4);

      const theirs = (await ctx.call({ method: 'GET', url: base, key: other.secret })).json() as { items: EndpointView[] };
      assert.ok(theirs.items.every((e) => !ids.includes(e.id)), 'another organization never lists these');
    });

    test('PATCH changes url, events, description and status (paused ↔ active); omitted fields stay', async () => {
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'], description: 'first' });
      ctx.clock.advance(5000);
      const patched = await patchEndpoint(ctx, tenant.secret, endpoint.id, {
        url: `${receiver.url}/v2`,
        events: ['post.failed', 'post.canceled'],
        description: 'second',
      });
      assert.equal(patched.url, `${receiver.url}/v2`);
      assert.deepEqual(patched.events, ['post.failed', 'post.canceled']);
      assert.equal(patched.description, 'second');
      assert.equal(patched.status, 'active');
      assert.ok(patched.updatedAt > endpoint.updatedAt);
      assert.equal((await patchEndpoint(ctx, tenant.secret, endpoint.id, { status: 'paused' })).status, 'paused');
      assert.equal((await getEndpoint(ctx, tenant.secret, endpoint.id)).status, 'paused');
      const resumed = await patchEndpoint(ctx, tenant.secret, endpoint.id, { status: 'active' });
      assert.equal(resumed.status, 'active');
      assert.equal(resumed.url, `${receiver.url}/v2`);
      assert.equal((await patchEndpoint(ctx, tenant.secret, endpoint.id, { description: null })).description, null);

      expectIssues(await ctx.call({ method: 'PATCH', url: `${base}/${endpoint.id}`, key: tenant.secret, body: { status: 'auto_paused' } }));
      expectIssues(await ctx.call({ method: 'PATCH', url: `${base}/${endpoint.id}`, key: tenant.secret, body: { secret: 'x' } }));
      expectError(
        await ctx.call({ method: 'PATCH', url: `${base}/${endpoint.id}`, key: tenant.secret, body: { url: 'http://hooks.example.com/x' } }),
        400,
        'VALIDATION',
      );
    });

    test('DELETE → 200, then 404 everywhere; its queued deliveries are canceled and never sent', async () => {
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: `${receiver.url}/deleted`, events: ['test.ping'] });
      const queued = [await sendTestPing(ctx, tenant.secret, endpoint.id), await sendTestPing(ctx, tenant.secret, endpoint.id)];
      const del = await ctx.call({ method: 'DELETE', url: `${base}/${endpoint.id}`, key: tenant.secret });
      assert.equal(del.statusCode, 200, del.body);
      assert.deepEqual(del.json(), { id: endpoint.id, deleted: true });

      for (const [method, url] of endpointRoutes(endpoint.id)) {
        expectError(await ctx.call({ method, url, key: tenant.secret, ...(method === 'PATCH' ? { body: { description: 'x' } } : {}) }), 404, 'NOT_FOUND');
      }
      const listed = (await ctx.call({ method: 'GET', url: base, key: tenant.secret })).json() as { items: EndpointView[] };
      assert.ok(listed.items.every((e) => e.id !== endpoint.id));

      ctx.clock.advance(60_000);
      await ctx.deliveries.runOnce();
      assert.ok(!receiver.received.some((h) => queued.some((d) => d.id === h.deliveryId)), 'a deleted endpoint receives nothing');
      const rows = await ctx.database.db
        .selectFrom('webhook_deliveries')
        .select(['id', 'status'])
        .where('id', 'in', queued.map((d) => d.id))
        .execute();
      assert.deepEqual(rows.map((r) => r.status), ['canceled', 'canceled']);
    });

    test('DELETE of an endpoint with more queued than a batch cancels every one before it answers, and lets other work run meanwhile', async () => {
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: `${receiver.url}/backlog`, events: ['test.ping'] });
      const createdAt = ctx.clock.now().toISOString();
      const owner = { organizationId: tenant.organizationId, endpointId: endpoint.id };
      for (let chunk = 0; chunk < 3; chunk++) {
        const rows = Array.from({ length: 200 }, (_, i) => chunk * 200 + i).map((i) =>
          deliveryRow({ ...owner, id: `wd_backlog_${String(i).padStart(3, '0')}`, eventId: `evt_backlog_${i}`, createdAt, status: 'pending' }),
        );
        await ctx.database.db.insertInto('webhook_deliveries').values(rows).execute();
      }
      const { result: del, turns } = await turnsDuring(() => ctx.call({ method: 'DELETE', url: `${base}/${endpoint.id}`, key: tenant.secret }));
      assert.equal(del.statusCode, 200, del.body);
      const statuses = await ctx.database.db.selectFrom('webhook_deliveries').select('status').where('endpoint_id', '=', endpoint.id).execute();
      assert.equal(statuses.length, 600);
      assert.ok(statuses.every((row) => row.status === 'canceled'));
      assert.ok(turns >= 3, `the event loop turned ${turns} times during the DELETE`);
    });

    test('events outside the catalog → 422 naming the path; 0 or 51 events → 422; duplicates are stored once', async () => {
      const unknown = expectIssues(await ctx.call({ method: 'POST', url: base, key: tenant.secret, body: { url: receiver.url, events: ['post.exploded'] } }));
      assert.deepEqual(unknown.map((i) => i.path), ['events.0']);
      const second = expectIssues(
        await ctx.call({ method: 'POST', url: base, key: tenant.secret, body: { url: receiver.url, events: ['test.ping', 'account.deleted'] } }),
      );
      assert.deepEqual(second.map((i) => i.path), ['events.1']);
      assert.deepEqual(expectIssues(await ctx.call({ method: 'POST', url: base, key: tenant.secret, body: { url: receiver.url, events: [] } })).map((i) => i.path), ['events']);
      const tooMany = Array.from({ length: 51 }, () => 'test.ping');
      assert.deepEqual(
        expectIssues(await ctx.call({ method: 'POST', url: base, key: tenant.secret, body: { url: receiver.url, events: tooMany } })).map((i) => i.path),
        ['events'],
      );
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: tooMany.slice(0, 50) });
      assert.deepEqual(endpoint.events, ['test.ping']);
      assert.deepEqual(
        expectIssues(await ctx.call({ method: 'PATCH', url: `${base}/${endpoint.id}`, key: tenant.secret, body: { events: ['nope'] } })).map((i) => i.path),
        ['events.0'],
      );
      expectIssues(await ctx.call({ method: 'POST', url: base, key: tenant.secret, body: { url: receiver.url } }));
      expectIssues(await ctx.call({ method: 'POST', url: base, key: tenant.secret, body: { url: 'not a url', events: ['test.ping'] } }));
      expectIssues(await ctx.call({ method: 'POST', url: base, key: tenant.secret, body: { url: receiver.url, events: ['test.ping'], extra: 1 } }));
    });

    test('plain http to a host other than localhost → 400; https anywhere and http://localhost are accepted in development', async () => {
      for (const url of ['http://hooks.example.com/layers', 'http://10.0.0.8/hooks', 'http://192.168.1.10:8080/x']) {
        const res = await ctx.call({ method: 'POST', url: base, key: tenant.secret, body: { url, events: ['test.ping'] } });
        expectError(res, 400, 'VALIDATION');
        assert.match((res.json() as { error: { message: string } }).error.message, /https/);
      }
      expectError(
        await ctx.call({ method: 'POST', url: base, key: tenant.secret, body: { url: 'https://user:pw@hooks.example.com/x', events: ['test.ping'] } }),
        400,
        'VALIDATION',
      );
      for (const url of ['https://hooks.example.com/layers', 'http://localhost:4000/hooks', receiver.url]) {
        await createEndpoint(ctx, tenant.secret, { url, events: ['test.ping'] });
      }
    });

    test("another organization's endpoint → 404 on every route; a projectId of another organization → 404", async () => {
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      for (const [method, url] of endpointRoutes(endpoint.id)) {
        expectError(await ctx.call({ method, url, key: other.secret, ...(method === 'PATCH' ? { body: { status: 'paused' } } : {}) }), 404, 'NOT_FOUND');
      }
      assert.equal((await getEndpoint(ctx, tenant.secret, endpoint.id)).status, 'active', "the other organization's PATCH changed nothing");
      expectError(
        await ctx.call({ method: 'POST', url: base, key: tenant.secret, body: { url: receiver.url, events: ['test.ping'], projectId: otherProjectId } }),
        404,
        'NOT_FOUND',
      );
      const filtered = await ctx.call({ method: 'GET', url: `${base}?projectId=${otherProjectId}`, key: tenant.secret });
      assert.equal(filtered.statusCode, 200);
      assert.deepEqual((filtered.json() as { items: unknown[] }).items, []);
      expectIssues(await ctx.call({ method: 'POST', url: base, key: tenant.secret, body: { url: receiver.url, events: ['test.ping'], projectId: 'not-a-project' } }));
    });

    test('webhooks:read reads, webhooks:write writes; anything else → 403 FORBIDDEN_SCOPE naming the scope', async () => {
      const reader = await ctx.key(tenant.organizationId, { scopes: ['webhooks:read'] });
      const writer = await ctx.key(tenant.organizationId, { scopes: ['webhooks:write'] });
      const unrelated = await ctx.key(tenant.organizationId, { scopes: ['social:read', 'social:write', 'projects:write'] });
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      await sendTestPing(ctx, tenant.secret, endpoint.id);
      const delivery = ((await ctx.call({ method: 'GET', url: `${base}/${endpoint.id}/deliveries`, key: tenant.secret })).json() as { items: Array<{ id: string }> })
        .items[0];
      assert.ok(delivery);

      const reads = [
        ['GET', base],
        ['GET', `${base}/${endpoint.id}`],
        ['GET', `${base}/${endpoint.id}/deliveries`],
      ] as const;
      const writes = [
        ['POST', base, { url: receiver.url, events: ['test.ping'] }],
        ['PATCH', `${base}/${endpoint.id}`, { description: 'changed' }],
        ['POST', `${base}/${endpoint.id}/test`, undefined],
        ['POST', `${base}/${endpoint.id}/rotate-secret`, undefined],
        ['POST', `/v1/webhook-deliveries/${delivery.id}/replay`, undefined],
        ['DELETE', `${base}/${endpoint.id}`, undefined],
      ] as const;
      for (const [method, url] of reads) {
        assert.equal((await ctx.call({ method, url, key: reader.secret })).statusCode, 200, `${method} ${url} with webhooks:read`);
        assert.deepEqual(expectError(await ctx.call({ method, url, key: writer.secret }), 403, 'FORBIDDEN_SCOPE'), { requiredScope: 'webhooks:read' });
        assert.deepEqual(expectError(await ctx.call({ method, url, key: unrelated.secret }), 403, 'FORBIDDEN_SCOPE'), { requiredScope: 'webhooks:read' });
      }
      for (const [method, url, body] of writes) {
        for (const key of [reader, unrelated]) {
          const res = await ctx.call({ method, url, key: key.secret, ...(body ? { body } : {}) });
          assert.deepEqual(expectError(res, 403, 'FORBIDDEN_SCOPE'), { requiredScope: 'webhooks:write' }, `${method} ${url}`);
        }
      }
      for (const [method, url, body] of writes) {
        const res = await ctx.call({ method, url, key: writer.secret, ...(body ? { body } : {}) });
        assert.ok(res.statusCode >= 200 && res.statusCode < 300, `${method} ${url} with webhooks:write: ${res.statusCode} ${res.body}`);
      }
    });
  });
}
