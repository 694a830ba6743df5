import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { moveLegacyMedia } from '../../src/media/media-store.ts';
import { blobBackends } from '../support/blob-backends.ts';
import { engines } from '../support/engines.ts';
import { fixture } from '../support/media-server.ts';
import { expectError } from '../foundation/helpers.ts';
import { createTestContext, type TestContext } from '../support/test-app.ts';

const MED_ID = 'med_0b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8';

for (const engine of engines) {
  for (const backend of blobBackends) {
    describe(`media objects (${engine}, ${backend})`, () => {
      let ctx: TestContext;
      const png = fixture('image.png');
      before(async () => {
        ctx = await createTestContext(engine, { blobBackend: backend, clockStart: new Date() });
        // An avatar as a server before the blob store kept it: base64 in its database row.
        await ctx.db
          .insertInto('media')
          .values({ id: MED_ID, content_type: 'image/png', byte_length: png.length, storage_key: null, data_base64: png.toString('base64'), checksum_sha256: null, created_at: ctx.clock.now().toISOString() })
          .execute();
      });
      after(async () => ctx.close());
      const get = (headers: Record<string, string> = {}) => ctx.app.inject({ method: 'GET', url: `/media/${MED_ID}`, headers });

      test('an avatar stored before the blob store is served, then moved into the store once', async () => {
        const early = await get();
        assert.equal(early.statusCode, 200);
        assert.ok(early.rawPayload.equals(png));
        assert.equal(await moveLegacyMedia(ctx.db, ctx.blobs), 1);
        assert.equal(await moveLegacyMedia(ctx.db, ctx.blobs), 0, 'a second start moves nothing');
        const row = await ctx.db.selectFrom('media').selectAll().where('id', '=', MED_ID).executeTakeFirstOrThrow();
        assert.equal(row.data_base64, null);
        assert.ok(row.storage_key && ctx.store.keys().includes(row.storage_key));
        assert.equal(row.checksum_sha256, createHash('sha256').update(png).digest('hex'));
        const moved = await get();
        assert.equal(moved.statusCode, 200);
        assert.ok(moved.rawPayload.equals(png), 'the same URL serves the same bytes');
        assert.equal(moved.headers['content-type'], 'image/png');
        assert.equal(moved.headers.etag, `"${row.checksum_sha256}"`);
        assert.equal(moved.headers['cache-control'], 'public, max-age=31536000, immutable');
      });

      test('conditional and range requests', async () => {
        const { etag } = (await get()).headers as { etag: string };
        assert.equal((await get({ 'if-none-match': etag })).statusCode, 304);
        const suffix = await get({ range: 'bytes=-10' });
        assert.equal(suffix.statusCode, 206);
        assert.equal(suffix.headers['content-range'], `bytes ${png.length - 10}-${png.length - 1}/${png.length}`);
        assert.ok(suffix.rawPayload.equals(png.subarray(-10)));
        const open = await get({ range: 'bytes=1000-' });
        assert.ok(open.rawPayload.equals(png.subarray(1000)));
        const several = await get({ range: 'bytes=0-1,5-6' });
        assert.equal(several.statusCode, 200, 'several ranges are answered with the whole object');
        assert.ok(several.rawPayload.equals(png));
        const stale = await get({ range: 'bytes=0-9', 'if-range': '"another-version"' });
        assert.equal(stale.statusCode, 200);
        const outside = await get({ range: `bytes=${png.length}-` });
        expectError(outside, 416, 'VALIDATION');
        assert.equal(outside.headers['content-range'], `bytes */${png.length}`);
        expectError(await ctx.app.inject({ method: 'GET', url: '/media/med_00000000-0000-4000-8000-000000000000' }), 404, 'NOT_FOUND');
      });
    });
  }
}
