import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { emulatorRequests } from '../social/helpers.ts';
import { connect, fixtureSha, getPost, postEvents, postsContext, profile, publishNow, publishUntilSettled, uploadContainer, type PostsContext } from './helpers.ts';

/**
 * The platform takes the irreversible call and its answer is lost on the way back (the connection
 * drops, as when the process dies inside the call): the post is never made twice. Where the platform
 * lets the server look the outcome up it is published; where it does not, it fails PUBLISH_UNCERTAIN.
 */
for (const engine of engines) {
  describe(`answers lost after the platform took the post (${engine})`, () => {
    let ctx: PostsContext;
    /** The next outbound call matching this is sent, and its answer thrown away. */
    let lose: { method: string; path: RegExp } | null = null;
    const losingFetch: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const target = lose;
      if (target && request.method === target.method && target.path.test(new URL(request.url).pathname)) {
        lose = null;
        const answer = await fetch(input, init);
        await answer.arrayBuffer();
        throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
      }
      return fetch(input, init);
    };
    before(async () => {
      ctx = await postsContext(engine, { fetch: losingFetch });
    });
    after(() => ctx.close());

    const calls = async (platform: string, method: string, path: RegExp) =>
      (await emulatorRequests(ctx)).filter((request) => request.platform === platform && request.method === method && path.test(request.path)).length;

    test('tiktok photo post: the init that posted is not sent again; the post fails PUBLISH_UNCERTAIN, one post on the profile', async () => {
      const photo = await uploadContainer(ctx, ['image.jpg'], 'Photo taken');
      const account = await connect(ctx, 'tiktok', 'tt_lost_init');
      const initPath = /\/v2\/post\/publish\/content\/init\/?$/;
      lose = { method: 'POST', path: initPath };
      const [id] = await publishNow(ctx, photo, [{ socialAccountId: account.id, mode: 'publish' }]);
      const [post] = await publishUntilSettled(ctx, [id as string], { stepMs: 60_000 });
      assert.equal(lose, null, 'an answer was lost');
      assert.equal(post?.status, 'failed', JSON.stringify(post));
      assert.equal(post?.lastError?.code, 'PUBLISH_UNCERTAIN');
      assert.match(post?.lastError?.message ?? '', /look at the account/);
      assert.equal((await postEvents(ctx, id as string, 'post.failed')).length, 1);
      assert.equal(await calls('tiktok', 'POST', initPath), 1, 'one init');
      const items = await profile(ctx, 'tiktok', account.username);
      assert.deepEqual(items.map((item) => [item.caption, item.mediaSha256]), [['Photo taken', [fixtureSha('image.jpg')]]], 'TikTok had it: once');
    });

    test('tiktok video: the last chunk’s answer lost, the status says the upload is complete: published once', async () => {
      const video = await uploadContainer(ctx, ['video.mp4'], 'Chunk taken');
      const account = await connect(ctx, 'tiktok', 'tt_lost_chunk');
      const before = (await emulatorRequests(ctx)).filter((request) => request.platform === 'tiktok' && request.method === 'PUT').length;
      lose = { method: 'PUT', path: /./ };
      const [id] = await publishNow(ctx, video, [{ socialAccountId: account.id, mode: 'publish' }]);
      const [post] = await publishUntilSettled(ctx, [id as string], { stepMs: 60_000 });
      assert.equal(lose, null, 'an answer was lost');
      assert.equal(post?.status, 'published', JSON.stringify(post));
      const puts = (await emulatorRequests(ctx)).filter((request) => request.platform === 'tiktok' && request.method === 'PUT').length - before;
      assert.equal(puts, 1, 'the only (last) chunk was sent once');
      const items = await profile(ctx, 'tiktok', account.username);
      assert.deepEqual(items.map((item) => [item.externalId, item.mediaSha256]), [[post?.externalId, [fixtureSha('video.mp4')]]]);
    });

    test('instagram: media_publish took the post and its answer was lost; the container says so: published once, not again', async () => {
      const photo = await uploadContainer(ctx, ['image.jpg'], 'Published once');
      const account = await connect(ctx, 'instagram', 'ig_lost_publish');
      const publishPath = /\/media_publish\/?$/;
      lose = { method: 'POST', path: publishPath };
      const [id] = await publishNow(ctx, photo, [{ socialAccountId: account.id, mode: 'publish' }]);
      const [post] = await publishUntilSettled(ctx, [id as string], { stepMs: 60_000 });
      assert.equal(lose, null, 'an answer was lost');
      assert.equal(post?.status, 'published', JSON.stringify(post));
      assert.equal(await calls('instagram', 'POST', publishPath), 1, 'media_publish was called once');
      const items = await profile(ctx, 'instagram', account.username);
      assert.deepEqual(items.map((item) => [item.externalId, item.caption]), [[post?.externalId, 'Published once']]);
      assert.equal((await getPost(ctx, id as string)).lastError, null);
    });
  });
}
