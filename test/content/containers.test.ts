import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { blobBackends } from '../support/blob-backends.ts';
import { engines } from '../support/engines.ts';
import { fixture, startMediaServer, type MediaServer } from '../support/media-server.ts';
import { findPostableContainer } from '../../src/content/postable.ts';
import { publishAssets } from '../../src/content/publish-assets.ts';
import { expectError, expectIssues } from '../foundation/helpers.ts';
import { contentContext, getAsset, type ContentContext, type Container } from './helpers.ts';

interface Page {
  items: Container[];
  nextCursor: string | null;
}

for (const engine of engines) {
  for (const backend of blobBackends) {
    describe(`content containers (${engine}, ${backend})`, () => {
      let ctx: ContentContext;
      let origin: MediaServer;
      before(async () => {
        ctx = await contentContext(engine, backend);
        origin = await startMediaServer();
      });
      after(async () => {
        await origin.close();
        await ctx.close();
      });

      const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, key = ctx.tenantOf.secret, headers?: Record<string, string>) =>
        ctx.call({ method, url, key, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
      const uploadImage = async (caption = 'c', projectId = ctx.projectId) => {
        const res = await call('POST', `/v1/projects/${projectId}/content/upload`, { media: [{ url: `${origin.url}/f/image.jpg` }], caption });
        assert.equal(res.statusCode, 201, res.body);
        return res.json() as Container;
      };

      test('get by prefixed or bare id; another organization gets 404', async () => {
        const container = await uploadImage('mine');
        assert.deepEqual((await call('GET', `/v1/content/${container.id}`)).json(), container);
        assert.deepEqual((await call('GET', `/v1/content/${container.id.slice(4)}`)).json(), container);
        const other = await ctx.tenant({ orgName: 'Other org' });
        expectError(await call('GET', `/v1/content/${container.id}`, undefined, other.secret), 404, 'NOT_FOUND');
        expectError(await call('PATCH', `/v1/content/${container.id}`, { caption: 'x' }, other.secret), 404, 'NOT_FOUND');
        expectError(await call('DELETE', `/v1/content/${container.id}`, undefined, other.secret), 404, 'NOT_FOUND');
        expectError(await call('GET', `/v1/projects/${ctx.projectId}/content`, undefined, other.secret), 404, 'NOT_FOUND');
        expectError(await call('GET', '/v1/content/not-an-id'), 400, 'VALIDATION');
      });

      test('scopes: content:read, content:write, content:approve (and * covers them)', async () => {
        const container = await uploadImage();
        const readOnly = await ctx.key(ctx.tenantOf.organizationId, { scopes: ['content:read'] });
        assert.equal((await call('GET', `/v1/content/${container.id}`, undefined, readOnly.secret)).statusCode, 200);
        const denied = expectError(await call('PATCH', `/v1/content/${container.id}`, { caption: 'x' }, readOnly.secret), 403, 'FORBIDDEN_SCOPE');
        assert.equal(denied.requiredScope, 'content:write');
        const writer = await ctx.key(ctx.tenantOf.organizationId, { scopes: ['content:write'] });
        assert.equal(expectError(await call('POST', `/v1/content/${container.id}/approve`, {}, writer.secret), 403, 'FORBIDDEN_SCOPE').requiredScope, 'content:approve');
      });

      test('list: newest first, keyset pages, status/since/until/creativeType/format filters', async () => {
        const project = await call('POST', '/v1/projects', { name: 'Listing', timezone: 'UTC' });
        const projectId = (project.json() as { id: string }).id;
        const made: Container[] = [];
        for (let i = 0; i < 5; i++) {
          made.push(await uploadImage(`n${i}`, projectId));
          ctx.clock.advance(1000);
        }
        const session = await call('POST', `/v1/projects/${projectId}/content/uploads`, { files: [{ filename: 'a.jpg', contentType: 'image/jpeg', sizeBytes: 5 }], grouping: 'per-file' });
        const queuedId = (session.json() as { items: { containerId: string }[] }).items[0]?.containerId;
        const list = async (query: string) => (await call('GET', `/v1/projects/${projectId}/content${query}`)).json() as Page;

        const all = await list('');
        assert.deepEqual(all.items.map((c) => c.id), [queuedId, ...made.map((c) => c.id).reverse()]);
        const first = await list('?limit=2');
        assert.equal(first.items.length, 2);
        assert.ok(first.nextCursor);
        const second = await list(`?limit=2&cursor=${first.nextCursor}`);
        const third = await list(`?limit=2&cursor=${second.nextCursor}`);
        assert.deepEqual([...first.items, ...second.items, ...third.items].map((c) => c.id), all.items.map((c) => c.id));
        assert.equal(third.nextCursor, null);

        assert.deepEqual((await list('?status=queued')).items.map((c) => c.id), [queuedId]);
        assert.equal((await list('?status=completed')).items.length, 5);
        assert.equal((await list('?status=completed&status=queued&limit=3')).items.length, 3);
        const both = await list('?status=completed&status=queued&limit=4');
        const rest = await list(`?status=completed&status=queued&limit=4&cursor=${both.nextCursor}`);
        assert.deepEqual([...both.items, ...rest.items].map((c) => c.id), all.items.map((c) => c.id));
        assert.equal((await list('?status=failed')).items.length, 0);
        const middle = made[2] as Container & { createdAt: string };
        assert.deepEqual((await list(`?since=${encodeURIComponent(middle.createdAt)}&status=completed`)).items.map((c) => c.id), made.slice(2).map((c) => c.id).reverse());
        assert.deepEqual((await list(`?until=${encodeURIComponent(middle.createdAt)}`)).items.map((c) => c.id), made.slice(0, 3).map((c) => c.id).reverse());
        assert.equal((await list('?creativeType=uploaded')).items.length, 6);
        assert.equal((await list('?creativeType=generated')).items.length, 0);
        assert.equal((await list('?format=carousel')).items.length, 0);
        expectIssues(await call('GET', `/v1/projects/${projectId}/content?status=bogus`));
        expectIssues(await call('GET', `/v1/projects/${projectId}/content?limit=201`));
      });

      test('caption: PATCH changes a completed container; a queued one is 409', async () => {
        const container = await uploadImage('before');
        const patched = await call('PATCH', `/v1/content/${container.id}`, { caption: 'after' });
        assert.equal(patched.statusCode, 200, patched.body);
        assert.equal((patched.json() as Container).caption, 'after');
        expectIssues(await call('PATCH', `/v1/content/${container.id}`, { caption: 'x'.repeat(2201) }));
        expectIssues(await call('PATCH', `/v1/content/${container.id}`, { caption: 'x', extra: 1 }));
        const session = await call('POST', `/v1/projects/${ctx.projectId}/content/uploads`, { files: [{ filename: 'a.jpg', contentType: 'image/jpeg', sizeBytes: 5 }], grouping: 'per-file' });
        const queuedId = (session.json() as { items: { containerId: string }[] }).items[0]?.containerId;
        assert.equal(expectError(await call('PATCH', `/v1/content/${queuedId}`, { caption: 'x' }), 409, 'CONFLICT').currentStatus, 'queued');
      });

      test('DELETE cancels the container and deletes its bytes; the asset URL answers 404', async () => {
        const container = await uploadImage();
        const asset = container.assets[0];
        assert.ok(asset);
        const keysBefore = ctx.store.keys().length;
        const deleted = await call('DELETE', `/v1/content/${container.id}`);
        assert.equal(deleted.statusCode, 200, deleted.body);
        assert.equal((deleted.json() as Container).status, 'canceled');
        assert.deepEqual((deleted.json() as Container).assets, []);
        assert.equal(ctx.store.keys().length, keysBefore - 1);
        assert.equal((await getAsset(ctx, asset)).statusCode, 404);
        assert.equal((await call('DELETE', `/v1/content/${container.id}`)).statusCode, 200, 'deleting again changes nothing');
        expectError(await call('PATCH', `/v1/content/${container.id}`, { caption: 'x' }), 409, 'CONFLICT');
      });

      test('review policy: default auto_approve; review_first_n and review_all make new containers pending', async () => {
        const project = await call('POST', '/v1/projects', { name: 'Reviewed', timezone: 'UTC' });
        const projectId = (project.json() as { id: string }).id;
        const policyUrl = `/v1/projects/${projectId}/content-review-policy`;
        assert.deepEqual((await call('GET', policyUrl)).json(), { policy: 'auto_approve', firstN: null });
        assert.deepEqual(expectIssues(await call('PATCH', policyUrl, { policy: 'review_first_n' })).map((i) => i.path), ['firstN']);
        assert.deepEqual(expectIssues(await call('PATCH', policyUrl, { policy: 'review_first_n', firstN: 51 })).map((i) => i.path), ['firstN']);
        assert.deepEqual(expectIssues(await call('PATCH', policyUrl, { policy: 'review_all', firstN: 2 })).map((i) => i.path), ['firstN']);
        assert.deepEqual((await call('PATCH', policyUrl, { policy: 'review_first_n', firstN: 2 })).json(), { policy: 'review_first_n', firstN: 2 });
        const statuses = [];
        for (let i = 0; i < 3; i++) statuses.push((await uploadImage('r', projectId)).approvalStatus);
        assert.deepEqual(statuses, ['pending', 'pending', 'not_required']);
        await call('PATCH', policyUrl, { policy: 'review_all' });
        assert.equal((await uploadImage('r', projectId)).approvalStatus, 'pending');
        const other = await ctx.tenant({ orgName: 'Policy snooper' });
        expectError(await call('GET', policyUrl, undefined, other.secret), 404, 'NOT_FOUND');
      });

      test('approve and reject: only a pending container, else 409', async () => {
        await call('PATCH', `/v1/projects/${ctx.projectId}/content-review-policy`, { policy: 'review_all' });
        const a = await uploadImage();
        const b = await uploadImage();
        await call('PATCH', `/v1/projects/${ctx.projectId}/content-review-policy`, { policy: 'auto_approve' });
        assert.equal(a.approvalStatus, 'pending');
        const approved = await call('POST', `/v1/content/${a.id}/approve`, { note: 'looks good' });
        assert.equal(approved.statusCode, 200, approved.body);
        const body = approved.json() as Container & { pendingSchedulePromotion: unknown };
        assert.equal(body.approvalStatus, 'approved');
        assert.deepEqual(body.pendingSchedulePromotion, { status: 'none', scheduledPostIds: [] });
        assert.equal(expectError(await call('POST', `/v1/content/${a.id}/approve`, {}), 409, 'CONFLICT').currentStatus, 'approved');
        assert.equal(expectError(await call('POST', `/v1/content/${a.id}/reject`, { reason: 'no' }), 409, 'CONFLICT').currentStatus, 'approved');
        expectIssues(await call('POST', `/v1/content/${b.id}/reject`, { reason: '' }));
        const rejected = await call('POST', `/v1/content/${b.id}/reject`, { reason: 'off brand' });
        assert.equal((rejected.json() as Container).approvalStatus, 'rejected');
        const notPending = await uploadImage();
        assert.equal(expectError(await call('POST', `/v1/content/${notPending.id}/approve`, {}), 409, 'CONFLICT').currentStatus, 'not_required');
      });

      test('Idempotency-Key on upload: the same key and body replay the first container; another body is a 409', async () => {
        const headers = { 'idempotency-key': `upload-${engine}-${backend}` };
        const body = { media: [{ url: `${origin.url}/f/image.webp` }], caption: 'once' };
        const first = await call('POST', `/v1/projects/${ctx.projectId}/content/upload`, body, undefined, headers);
        assert.equal(first.statusCode, 201);
        const hits = origin.hits.length;
        const replay = await call('POST', `/v1/projects/${ctx.projectId}/content/upload`, body, undefined, headers);
        assert.equal(replay.statusCode, 201);
        assert.equal(replay.headers['idempotent-replayed'], 'true');
        assert.equal(replay.body, first.body);
        assert.equal(origin.hits.length, hits, 'a replay fetches nothing');
        expectError(await call('POST', `/v1/projects/${ctx.projectId}/content/upload`, { ...body, caption: 'twice' }, undefined, headers), 409, 'IDEMPOTENCY_CONFLICT');
      });

      test('platformFit: a 9:16 H.264 video fits both; a PNG is a problem on both; a small JPEG warns', async () => {
        const video = (await call('POST', `/v1/projects/${ctx.projectId}/content/upload`, { media: [{ url: `${origin.url}/f/video.mp4` }], caption: '' })).json() as Container;
        assert.deepEqual(video.platformFit.tiktok, { publishable: true, problems: [], warnings: [] });
        assert.deepEqual(video.platformFit.instagram, { publishable: true, problems: [], warnings: [] });
        const png = (await call('POST', `/v1/projects/${ctx.projectId}/content/upload`, { media: [{ url: `${origin.url}/f/image.png` }], caption: '' })).json() as Container;
        assert.deepEqual(png.platformFit.instagram?.problems.map((p) => p.code), ['image_type']);
        assert.deepEqual(png.platformFit.tiktok?.problems.map((p) => p.code), ['image_type']);
        assert.ok(png.platformFit.instagram?.warnings.some((w) => w.code === 'dimensions'), '160 px wide is under Instagram’s 320');
        const jpeg = await uploadImage();
        assert.equal(jpeg.platformFit.instagram?.publishable, true);
        assert.equal(jpeg.platformFit.tiktok?.publishable, true);
      });

      test('what publishing reads: assets in order with a pullable URL and their bytes by range; the postable view', async () => {
        const res = await call('POST', `/v1/projects/${ctx.projectId}/content/upload`, { media: [{ url: `${origin.url}/f/image.jpg` }, { url: `${origin.url}/f/image.png` }], caption: 'to post' });
        const container = res.json() as Container;
        const assets = await publishAssets(ctx, container.id);
        assert.deepEqual(assets.map((a) => [a.kind, a.mimeType, a.width, a.height]), [['image', 'image/jpeg', 400, 500], ['image', 'image/png', 160, 120]]);
        assert.deepEqual(assets.map((a) => a.publicUrl), container.assets.map((a) => a.url));
        const jpeg = fixture('image.jpg');
        const chunks: Buffer[] = [];
        for await (const chunk of await (assets[0] as (typeof assets)[0]).open({ start: 10, end: 1033 })) chunks.push(chunk as Buffer);
        assert.ok(Buffer.concat(chunks).equals(jpeg.subarray(10, 1034)));
        const postable = await findPostableContainer(ctx.db, ctx.tenantOf.organizationId, container.id);
        assert.equal(postable.caption, 'to post');
        assert.equal(postable.platformFit.instagram?.publishable, false);
        assert.match(postable.platformFit.instagram?.problems[0] ?? '', /JPEG images only/);
        await assert.rejects(findPostableContainer(ctx.db, (await ctx.tenant({ orgName: 'Elsewhere' })).organizationId, container.id), /not found/);
      });

      test('an archived project takes no new content (409)', async () => {
        const project = await call('POST', '/v1/projects', { name: 'Archived', timezone: 'UTC' });
        const projectId = (project.json() as { id: string }).id;
        await call('DELETE', `/v1/projects/${projectId}`);
        const res = await call('POST', `/v1/projects/${projectId}/content/upload`, { media: [{ url: `${origin.url}/f/image.jpg` }], caption: '' });
        assert.equal(expectError(res, 409, 'CONFLICT').currentStatus, 'archived');
      });
    });
  }
}
