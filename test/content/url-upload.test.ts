import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { blobBackends } from '../support/blob-backends.ts';
import { engines } from '../support/engines.ts';
import { fixture, startMediaServer, type FixtureName, type MediaServer } from '../support/media-server.ts';
import { expectError, expectIssues } from '../foundation/helpers.ts';
import { assertNothingKept, contentContext, getAsset, snapshot, type ContentContext, type Container } from './helpers.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

for (const engine of engines) {
  for (const backend of blobBackends) {
    describe(`upload by URL (${engine}, ${backend})`, () => {
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

      const upload = (urls: string[], caption = 'hello') =>
        ctx.call({ method: 'POST', url: `/v1/projects/${ctx.projectId}/content/upload`, key: ctx.tenantOf.secret, body: { media: urls.map((url) => ({ url })), caption } });

      const cases: { name: FixtureName; kind: string; width: number; height: number; durationMs: number | null }[] = [
        { name: 'video.mp4', kind: 'video', width: 360, height: 640, durationMs: 3000 },
        { name: 'video.mov', kind: 'video', width: 360, height: 640, durationMs: 3000 },
        { name: 'image.jpg', kind: 'image', width: 400, height: 500, durationMs: null },
        { name: 'image.png', kind: 'image', width: 160, height: 120, durationMs: null },
        { name: 'image.webp', kind: 'image', width: 320, height: 320, durationMs: null },
      ];
      for (const c of cases) {
        test(`${c.name}: fetched, probed, stored, served back byte for byte`, async () => {
          const res = await upload([`${origin.url}/f/${c.name}`], `caption for ${c.name}`);
          assert.equal(res.statusCode, 201, res.body);
          const container = res.json() as Container;
          assert.equal(container.status, 'completed');
          assert.equal(container.caption, `caption for ${c.name}`);
          assert.equal(container.approvalStatus, 'not_required');
          const [asset] = container.assets;
          assert.ok(asset);
          const bytes = fixture(c.name);
          assert.equal(asset.kind, c.kind);
          assert.equal(asset.sizeBytes, bytes.length);
          assert.equal(asset.checksumSha256, sha256(bytes));
          assert.equal(asset.width, c.width);
          assert.equal(asset.height, c.height);
          assert.equal(asset.durationMs, c.durationMs);
          if (c.kind === 'video') assert.equal(asset.frameRate, 30);
          const served = await getAsset(ctx, asset);
          assert.equal(served.statusCode, 200);
          assert.equal(served.headers['content-type'], asset.mimeType);
          assert.equal(served.headers['x-content-type-options'], 'nosniff');
          assert.ok(served.rawPayload.equals(bytes), 'the asset must come back byte for byte');
        });
      }

      test('an image carousel keeps its order; redirects (up to 3) are followed', async () => {
        const res = await upload([`${origin.url}/redirect/3/image.jpg`, `${origin.url}/f/image.webp`, `${origin.url}/f/image.png`]);
        assert.equal(res.statusCode, 201, res.body);
        const container = res.json() as Container;
        assert.deepEqual(container.assets.map((a) => a.mimeType), ['image/jpeg', 'image/webp', 'image/png']);
        // Instagram takes JPEG only; TikTok photos JPEG or WebP: the PNG is a problem on both.
        assert.equal(container.platformFit.instagram?.publishable, false);
        assert.ok(container.platformFit.instagram?.problems.some((p) => p.code === 'image_type' && p.message.includes('Image 3')));
        assert.equal(container.platformFit.tiktok?.publishable, false);
      });

      const refusals: { what: string; path: (o: string) => string; code: string; message: RegExp }[] = [
        { what: 'an unreachable URL', path: () => 'http://127.0.0.1:9/video.mp4', code: 'unreachable', message: /Could not fetch/ },
        { what: 'a non-2xx answer', path: (o) => `${o}/status/404/image.jpg`, code: 'http_status', message: /HTTP 404/ },
        { what: 'a lying Content-Type', path: (o) => `${o}/as/image%2Fpng/image.jpg`, code: 'type_mismatch', message: /Declared as image\/png but the bytes are image\/jpeg/ },
        { what: 'a Content-Type that is not media', path: (o) => `${o}/as/text%2Fhtml/image.jpg`, code: 'type_mismatch', message: /text\/html/ },
        { what: 'a file over its cap', path: (o) => `${o}/big/30500000/image.jpg`, code: 'too_large', message: /An image may be at most 30 MB/ },
        { what: 'a truncated download', path: (o) => `${o}/truncated/video.mp4`, code: 'truncated', message: /broke off|Content-Length/ },
        { what: 'a file that does not parse as its type', path: (o) => `${o}/head/600/image.png`, code: 'unparseable', message: /start like image\/png but do not parse as one/ },
        { what: 'a truncated file, honestly served', path: (o) => `${o}/head/4200/video.mp4`, code: 'truncated', message: /file is truncated/ },
        { what: 'too many redirects', path: (o) => `${o}/redirect/4/image.jpg`, code: 'too_many_redirects', message: /more than 3 times/ },
      ];
      for (const r of refusals) {
        test(`${r.what} → 422 naming the file, nothing kept`, async () => {
          const before = await snapshot(ctx);
          const res = await upload([r.path(origin.url)]);
          const [issue, ...rest] = expectIssues(res);
          assert.deepEqual(rest, []);
          assert.equal(issue?.path, 'media.0.url');
          assert.equal(issue?.code, r.code, issue?.message);
          assert.match(issue?.message ?? '', r.message);
          await assertNothingKept(ctx, before);
        });
      }

      test('atomic: one bad file in a batch and nothing of the others is kept', async () => {
        const before = await snapshot(ctx);
        const res = await upload([`${origin.url}/f/image.jpg`, `${origin.url}/f/image.webp`, `${origin.url}/status/500/image.png`]);
        const issues = expectIssues(res);
        assert.deepEqual(issues.map((i) => i.path), ['media.2.url']);
        assert.match(issues[0]?.message ?? '', /HTTP 500/);
        await assertNothingKept(ctx, before);
      });

      test('a video never shares a container; more than ten files is a 422', async () => {
        const before = await snapshot(ctx);
        const mixed = expectIssues(await upload([`${origin.url}/f/image.jpg`, `${origin.url}/f/video.mp4`]));
        assert.deepEqual(mixed.map((i) => [i.path, i.code]), [['media.1.url', 'combination']]);
        await assertNothingKept(ctx, before);
        const eleven = expectIssues(await upload(Array.from({ length: 11 }, () => `${origin.url}/f/image.jpg`)));
        assert.deepEqual(eleven.map((i) => i.path), ['media']);
        await assertNothingKept(ctx, before);
      });

      test('another organization cannot upload into the project (404)', async () => {
        const other = await ctx.tenant({ orgName: 'Other' });
        const res = await ctx.call({ method: 'POST', url: `/v1/projects/${ctx.projectId}/content/upload`, key: other.secret, body: { media: [{ url: `${origin.url}/f/image.jpg` }], caption: '' } });
        expectError(res, 404, 'NOT_FOUND');
      });
    });
  }
}
