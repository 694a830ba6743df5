import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { blobBackends } from '../support/blob-backends.ts';
import { engines } from '../support/engines.ts';
import { sweepUploadSessions } from '../../src/content/direct-upload.ts';
import { fixture, FIXTURE_TYPES, type FixtureName } from '../support/media-server.ts';
import { expectError, expectIssues } from '../foundation/helpers.ts';
import { assertNothingKept, contentContext, getAsset, putUpload, snapshot, type ContentContext, type Container, type UploadSession } from './helpers.ts';

const MINUTE = 60 * 1000;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

for (const engine of engines) {
  for (const backend of blobBackends) {
    describe(`direct upload (${engine}, ${backend})`, () => {
      let ctx: ContentContext;
      before(async () => {
        ctx = await contentContext(engine, backend);
      });
      after(async () => ctx.close());

      const start = async (names: FixtureName[], grouping: 'per-file' | 'slideshow' = 'per-file', override: { contentType?: string; sizeBytes?: number } = {}) => {
        const files = names.map((name) => ({ filename: name, contentType: override.contentType ?? FIXTURE_TYPES[name], sizeBytes: override.sizeBytes ?? fixture(name).length }));
        const res = await ctx.call({ method: 'POST', url: `/v1/projects/${ctx.projectId}/content/uploads`, key: ctx.tenantOf.secret, body: { files, grouping } });
        assert.equal(res.statusCode, 201, res.body);
        return res.json() as UploadSession;
      };
      const finalize = (containerId: string, caption = 'final caption') =>
        ctx.call({ method: 'POST', url: `/v1/content/${containerId}/finalize-upload`, key: ctx.tenantOf.secret, body: { caption } });

      test('every type end to end: session, PUT, finalize; assets served back with Range', async () => {
        const names: FixtureName[] = ['video.mp4', 'video.mov', 'image.jpg', 'image.png', 'image.webp'];
        const session = await start(names);
        assert.equal(session.items.length, names.length, 'one container per file');
        for (const [i, item] of session.items.entries()) {
          const name = names[i] as FixtureName;
          const [file] = item.files;
          assert.ok(file);
          assert.equal(file.uploadMethod, 'PUT');
          assert.equal(file.uploadHeaders['Content-Type'], FIXTURE_TYPES[name]);
          assert.equal(Date.parse(file.expiresAt) - ctx.clock.now().getTime(), 15 * MINUTE);
          if (backend === 'filesystem') assert.match(file.uploadUrl, /\/uploads\/[A-Za-z0-9_-]{43}$/);
          else assert.match(file.uploadUrl, /X-Amz-Signature=/);
          const queued = await ctx.call({ method: 'GET', url: `/v1/content/${item.containerId}`, key: ctx.tenantOf.secret });
          assert.equal((queued.json() as Container).status, 'queued');

          const put = await putUpload(ctx, file, fixture(name));
          assert.equal(put.status, 200, put.body);
          const done = await finalize(item.containerId, `caption ${i}`);
          assert.equal(done.statusCode, 200, done.body);
          const container = done.json() as Container;
          assert.equal(container.status, 'completed');
          assert.equal(container.caption, `caption ${i}`);
          const [asset] = container.assets;
          assert.ok(asset);
          assert.equal(asset.mimeType, FIXTURE_TYPES[name]);
          assert.equal(asset.checksumSha256, sha256(fixture(name)));
          const whole = await getAsset(ctx, asset);
          assert.ok(whole.rawPayload.equals(fixture(name)));
          const part = await getAsset(ctx, asset, { range: 'bytes=100-299' });
          assert.equal(part.statusCode, 206);
          assert.equal(part.headers['content-range'], `bytes 100-299/${fixture(name).length}`);
          assert.ok(part.rawPayload.equals(fixture(name).subarray(100, 300)));
        }
      });

      test('a slideshow: one container for 2–10 images; the first caption wins', async () => {
        const session = await start(['image.jpg', 'image.webp', 'image.png'], 'slideshow');
        const [item] = session.items;
        assert.ok(item && session.items.length === 1 && item.files.length === 3);
        const names: FixtureName[] = ['image.jpg', 'image.webp', 'image.png'];
        for (const [i, file] of item.files.entries()) assert.equal((await putUpload(ctx, file, fixture(names[i] as FixtureName))).status, 200);
        const first = await finalize(item.containerId, 'first');
        assert.equal(first.statusCode, 200, first.body);
        const again = await finalize(item.containerId, 'second');
        assert.equal(again.statusCode, 200);
        assert.equal((again.json() as Container).caption, 'first');
        assert.deepEqual(again.json(), first.json(), 'a completed container answers itself unchanged');
        assert.deepEqual((first.json() as Container).assets.map((a) => a.mimeType), ['image/jpeg', 'image/webp', 'image/png']);
      });

      test('a slideshow of one, or with a video, is refused; so is a file over its cap', async () => {
        const post = (body: unknown) => ctx.call({ method: 'POST', url: `/v1/projects/${ctx.projectId}/content/uploads`, key: ctx.tenantOf.secret, body });
        const before = await snapshot(ctx);
        assert.deepEqual(expectIssues(await post({ files: [{ filename: 'a.jpg', contentType: 'image/jpeg', sizeBytes: 10 }], grouping: 'slideshow' })).map((i) => i.path), ['files']);
        const withVideo = { files: [{ filename: 'a.jpg', contentType: 'image/jpeg', sizeBytes: 10 }, { filename: 'v.mp4', contentType: 'video/mp4', sizeBytes: 10 }], grouping: 'slideshow' };
        assert.deepEqual(expectIssues(await post(withVideo)).map((i) => i.path), ['files.1.contentType']);
        assert.deepEqual(expectIssues(await post({ files: [{ filename: 'big.png', contentType: 'image/png', sizeBytes: 30_000_001 }], grouping: 'per-file' })).map((i) => i.path), ['files.0.sizeBytes']);
        assert.deepEqual(expectIssues(await post({ files: [{ filename: 'x.gif', contentType: 'image/gif', sizeBytes: 10 }], grouping: 'per-file' })).map((i) => i.path), ['files.0.contentType']);
        await assertNothingKept(ctx, before);
      });

      test('finalize before every PUT → 409 UPLOAD_INCOMPLETE naming the missing files', async () => {
        const session = await start(['image.jpg', 'image.webp'], 'slideshow');
        const [item] = session.items;
        assert.ok(item);
        const [jpg, webp] = item.files;
        assert.ok(jpg && webp);
        assert.equal((await putUpload(ctx, jpg, fixture('image.jpg'))).status, 200);
        const details = expectError(await finalize(item.containerId), 409, 'UPLOAD_INCOMPLETE');
        assert.deepEqual(details.missing, [webp.fileId]);
        assert.equal((await putUpload(ctx, webp, fixture('image.webp'))).status, 200);
        assert.equal((await finalize(item.containerId)).statusCode, 200);
      });

      test('an upload URL used twice is refused, and a reuse can never change the asset', async () => {
        const [item] = (await start(['image.jpg'])).items;
        const file = item?.files[0];
        assert.ok(item && file);
        assert.equal((await putUpload(ctx, file, fixture('image.jpg'))).status, 200);
        if (backend === 'filesystem') {
          const again = await putUpload(ctx, file, fixture('image.jpg'));
          assert.equal(again.status, 409, again.body);
          assert.equal(JSON.parse(again.body).error.code, 'CONFLICT');
        }
        const done = (await finalize(item.containerId)).json() as Container;
        const asset = done.assets[0];
        assert.ok(asset);
        // Same size and type (the presigned URL signs both), other bytes: on S3 stores without
        // conditional writes the PUT lands on the staging key, which nothing reads any more.
        const other = Buffer.from(fixture('image.jpg'));
        other[other.length - 3] = (other[other.length - 3] as number) ^ 0xff;
        const reuse = await putUpload(ctx, file, other);
        if (backend === 'filesystem') assert.equal(reuse.status, 409);
        const served = await getAsset(ctx, asset);
        assert.ok(served.rawPayload.equals(fixture('image.jpg')), 'the finalized asset keeps its bytes');
        assert.equal(((await ctx.call({ method: 'GET', url: `/v1/content/${item.containerId}`, key: ctx.tenantOf.secret })).json() as Container).assets[0]?.checksumSha256, sha256(fixture('image.jpg')));
        // Whatever a reuse left behind goes with the 24-hour sweep (the periodic task's function,
        // run a day ahead without moving this context's clock: S3 checks URLs against real time).
        const dayLater = { now: () => new Date(ctx.clock.now().getTime() + 24 * 60 * MINUTE + 1) };
        await sweepUploadSessions({ db: ctx.db, blobs: ctx.blobs, clock: dayLater });
        const staged = await ctx.db.selectFrom('content_upload_files').select('staging_key').where('container_id', '=', item.containerId).executeTakeFirstOrThrow();
        assert.ok(!ctx.store.keys().includes(staged.staging_key), 'no staging object survives the sweep');
      });

      test('another type, more bytes than declared, a tampered or expired URL: refused, nothing kept', async () => {
        const [item] = (await start(['image.png'])).items;
        const file = item?.files[0];
        assert.ok(item && file);
        const before = await snapshot(ctx);
        const png = fixture('image.png');
        const wrongType = await putUpload(ctx, file, png, { 'Content-Type': 'image/jpeg' });
        assert.equal(wrongType.status, backend === 'filesystem' ? 415 : 403, wrongType.body);
        const tooMany = await putUpload(ctx, file, Buffer.concat([png, Buffer.from('extra')]));
        assert.equal(tooMany.status, backend === 'filesystem' ? 413 : 403, tooMany.body);
        const tampered = { ...file, uploadUrl: backend === 'filesystem' ? file.uploadUrl.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) : file.uploadUrl.replace('X-Amz-Signature=', 'X-Amz-Signature=0') };
        const forged = await putUpload(ctx, tampered, png);
        assert.equal(forged.status, backend === 'filesystem' ? 404 : 403, forged.body);
        await assertNothingKept(ctx, before);
        // The URL still works for the right bytes until it expires.
        assert.equal((await putUpload(ctx, file, png)).status, 200);

        // Expired: minted 16 minutes ago.
        ctx.clock.advance(-16 * MINUTE);
        const [late] = (await start(['image.png'])).items;
        ctx.clock.advance(16 * MINUTE);
        const lateFile = late?.files[0];
        assert.ok(late && lateFile);
        const beforeLate = await snapshot(ctx);
        const expired = await putUpload(ctx, lateFile, png);
        assert.equal(expired.status, backend === 'filesystem' ? 410 : 403, expired.body);
        if (backend === 'filesystem') assert.equal(JSON.parse(expired.body).error.code, 'UPLOAD_EXPIRED');
        else assert.match(expired.body, /Request has expired/);
        await assertNothingKept(ctx, beforeLate);
      });

      test('bytes that are not the declared type: refused, the session fails, nothing kept', async () => {
        const [item] = (await start(['image.png'], 'per-file', { sizeBytes: fixture('image.jpg').length })).items;
        const file = item?.files[0];
        assert.ok(item && file);
        const before = await snapshot(ctx);
        const put = await putUpload(ctx, file, fixture('image.jpg'));
        if (backend === 'filesystem') {
          assert.equal(put.status, 422, put.body);
          assert.match(JSON.parse(put.body).error.details.issues[0].message, /Declared as image\/png but the bytes are image\/jpeg/);
          await assertNothingKept(ctx, before);
          return;
        }
        // The object store cannot look inside the bytes: finalize does.
        assert.equal(put.status, 200);
        const issues = expectIssues(await finalize(item.containerId));
        assert.deepEqual(issues.map((i) => i.path), ['files.0']);
        assert.match(issues[0]?.message ?? '', new RegExp(`${file.fileId}.*Declared as image/png but the bytes are image/jpeg`));
        const failed = (await ctx.call({ method: 'GET', url: `/v1/content/${item.containerId}`, key: ctx.tenantOf.secret })).json() as Container;
        assert.equal(failed.status, 'failed');
        assert.equal(failed.lastError?.code, 'MEDIA_REFUSED');
        await assertNothingKept(ctx, before);
      });

      // Last: it moves the context's clock a day ahead for good.
      test('an unfinalized session is canceled and its bytes deleted 24 hours after creation', async () => {
        const [item] = (await start(['image.jpg', 'image.webp'], 'slideshow')).items;
        assert.ok(item);
        assert.equal((await putUpload(ctx, item.files[0] as UploadSession['items'][0]['files'][0], fixture('image.jpg'))).status, 200);
        const staged = await ctx.db.selectFrom('content_upload_files').select('staging_key').where('container_id', '=', item.containerId).execute();
        assert.ok(ctx.store.keys().includes(staged[0]?.staging_key as string));
        ctx.clock.advance(23 * 60 * MINUTE);
        await ctx.periodicTasks.runOnce();
        assert.equal(((await ctx.call({ method: 'GET', url: `/v1/content/${item.containerId}`, key: ctx.tenantOf.secret })).json() as Container).status, 'queued');
        ctx.clock.advance(60 * MINUTE + 1);
        await ctx.periodicTasks.runOnce();
        const canceled = (await ctx.call({ method: 'GET', url: `/v1/content/${item.containerId}`, key: ctx.tenantOf.secret })).json() as Container;
        assert.equal(canceled.status, 'canceled');
        assert.equal(canceled.lastError?.code, 'UPLOAD_EXPIRED');
        for (const { staging_key } of staged) assert.ok(!ctx.store.keys().includes(staging_key), 'the session\'s bytes are deleted');
        expectError(await finalize(item.containerId), 409, 'CONFLICT');
      });
    });
  }
}
