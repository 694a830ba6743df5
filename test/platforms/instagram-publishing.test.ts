import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PlatformAdapter } from '../../src/platforms/adapter.ts';
import { classifyContainerError } from '../../src/platforms/instagram/errors.ts';
import { instagram } from '../../src/platforms/instagram/index.ts';
import { captionProblems, createInstagramPublishing } from '../../src/platforms/instagram/publishing.ts';
import { createPlatformAdapter } from '../../src/platforms/oauth-core.ts';
import type { PublishAdvance, PublishAsset, PublishPost } from '../../src/platforms/publishing.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { expectPlatformError, startTestEmulator, type TestEmulator } from './emulator-harness.ts';
import { Publisher, asset, connect, control, fixture, post, profile, sha256, startMediaServer, type MediaServer } from './publish-driver.ts';

const SCOPES = ['instagram_business_basic', 'instagram_business_content_publish', 'instagram_business_manage_comments'];
const clip = fixture('clip.mp4');
const photos = [fixture('photo-1.jpg'), fixture('photo-2.jpg')];
const HOUR_MS = 60 * 60 * 1000;

function published(outcome: PublishAdvance): Extract<PublishAdvance, { status: 'published' | 'draft' }> {
  assert.equal(outcome.status, 'published', JSON.stringify(outcome));
  return outcome as Extract<PublishAdvance, { status: 'published' | 'draft' }>;
}

describe('Instagram publishing against the emulator', () => {
  let emulator: TestEmulator;
  let media: MediaServer;
  let adapter: PlatformAdapter;
  const publishing = createInstagramPublishing();

  before(async () => {
    emulator = await startTestEmulator();
    media = await startMediaServer();
    adapter = createPlatformAdapter(instagram, { endpoints: emulator.instagramEndpoints, clock: emulator.clock });
  });
  after(async () => {
    await media.close();
    await emulator.close();
  });

  function image(name: string, bytes: Uint8Array = photos[0] as Buffer, mimeType = 'image/jpeg'): PublishAsset {
    return asset(bytes, { kind: 'image', mimeType, publicUrl: media.serve(name, bytes, mimeType) });
  }

  function reel(name: string, bytes: Uint8Array = clip): PublishAsset {
    return asset(bytes, { kind: 'video', mimeType: 'video/mp4', publicUrl: media.serve(name, bytes, 'video/mp4') });
  }

  async function account(username: string, scopes = SCOPES): Promise<{ tokens: TokenSet; userId: string }> {
    const userId = await emulator.upsertUser('instagram', username);
    return { tokens: await connect(emulator, adapter, username, scopes), userId };
  }

  async function publisherFor(username: string, postInit: PublishPost, scopes = SCOPES): Promise<Publisher> {
    const { tokens, userId } = await account(username, scopes);
    return new Publisher(publishing, { http: adapter.http, tokens, account: { platformUserId: userId, handle: username }, post: postInit });
  }

  describe('paths', () => {
    it('an image: container, FINISHED, media_publish, permalink', async () => {
      const publisher = await publisherFor('ig_image', post({ caption: 'One image #sun', assets: [image('image.jpg')] }));

      const outcome = published(await publisher.run());

      const [item, ...others] = await profile(emulator, 'instagram', 'ig_image');
      assert.ok(item);
      assert.equal(others.length, 0);
      assert.deepEqual([item.kind, item.caption, item.privacyLevel, item.draft, item.mediaSha256], ['image', 'One image #sun', null, false, [sha256(photos[0] as Buffer)]]);
      assert.equal(outcome.externalId, item.externalId);
      assert.match(outcome.externalUrl ?? '', /^https:\/\/www\.instagram\.com\/p\/\w+\/$/);
      assert.equal(outcome.warning, undefined);
      assert.deepEqual(publisher.intents, ['media_publish']);
    });

    it('a reel waits for its container to finish processing, then publishes', async () => {
      await control(emulator, '/users/instagram/ig_reel/processing', { delaySeconds: 20 });
      const publisher = await publisherFor('ig_reel', post({ caption: 'A reel', assets: [reel('reel.mp4')], settings: { shareReelToFeed: false } }));
      await publisher.step();
      const waiting = await publisher.step();
      assert.ok(waiting.status === 'continue' && (waiting.retryAfterMs ?? 0) > 0);
      assert.equal(publisher.persisted?.step, 'prepare');

      emulator.clock.advance(21_000);
      const outcome = published(await publisher.run());

      const [item] = await profile(emulator, 'instagram', 'ig_reel');
      assert.ok(item);
      assert.deepEqual([item.kind, item.mediaSha256], ['reel', [sha256(clip)]]);
      assert.match(outcome.externalUrl ?? '', /\/reel\//);
    });

    it('a carousel: its children first, then the carousel of them, published as one post with both files in order', async () => {
      const publisher = await publisherFor('ig_carousel', post({ caption: 'Two', assets: [image('c1.jpg', photos[0]), image('c2.jpg', photos[1])] }));

      published(await publisher.run());

      const items = await profile(emulator, 'instagram', 'ig_carousel');
      assert.deepEqual(items.map((item) => [item.kind, item.caption, item.mediaSha256]), [['carousel', 'Two', photos.map((bytes) => sha256(bytes))]]);
      assert.deepEqual(Object.keys(publisher.persisted?.ids ?? {}).sort(), ['child0', 'child1', 'container', 'media']);
    });

    it('the first comment goes on the post, by the account itself', async () => {
      const publisher = await publisherFor('ig_comment', post({ assets: [image('comment.jpg')], firstComment: 'Link in bio' }));

      const outcome = published(await publisher.run());

      const [item] = await profile(emulator, 'instagram', 'ig_comment');
      assert.deepEqual(item?.comments.map((comment) => [comment.text, comment.username]), [['Link in bio', 'ig_comment']]);
      assert.deepEqual(publisher.intents, ['media_publish', 'first_comment']);
      assert.equal(outcome.warning, undefined);
    });

    it('without the comments permission the post publishes and says its first comment was not posted', async () => {
      const publisher = await publisherFor('ig_no_comment_scope', post({ assets: [image('nocomment.jpg')], firstComment: 'hi' }), SCOPES.slice(0, 2));

      const outcome = published(await publisher.run());

      assert.match(outcome.warning ?? '', /first comment was not posted.*instagram_business_manage_comments/);
      assert.deepEqual((await profile(emulator, 'instagram', 'ig_no_comment_scope')).map((item) => item.comments.length), [0]);
    });
  });

  describe('failures', () => {
    it('rejected: a container ERROR carries Instagram\'s subcode (unsupported video, 2207026)', async () => {
      await control(emulator, '/users/instagram/ig_bad_video/publish-faults', { step: 'processing', reason: '2207026' });
      const publisher = await publisherFor('ig_bad_video', post({ assets: [reel('bad.mp4')] }));

      await expectPlatformError(publisher.run(), { kind: 'rejected', platformCode: '2207026' });
      assert.deepEqual(await profile(emulator, 'instagram', 'ig_bad_video'), []);
    });

    it('rejected: a PNG is not an image Instagram takes (2207005)', async () => {
      const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex');
      const publisher = await publisherFor('ig_png', post({ assets: [image('image.png', png, 'image/png')] }));

      await expectPlatformError(publisher.run(), { kind: 'rejected', platformCode: '2207005' });
    });

    it('rejected: an image over 8 MiB (36000/2207004) when the container is created', async () => {
      const huge = Buffer.concat([photos[0] as Buffer, Buffer.alloc(9 * 1024 * 1024)]);
      const publisher = await publisherFor('ig_huge', post({ assets: [image('huge.jpg', huge)] }));

      await expectPlatformError(publisher.run(), { kind: 'rejected', platformCode: '36000/2207004' });
    });

    it('transient: a container Instagram failed on its side (2207001) is made again, and one post results', async () => {
      await control(emulator, '/users/instagram/ig_retry_container/publish-faults', { step: 'processing', reason: '2207001' });
      const publisher = await publisherFor('ig_retry_container', post({ assets: [image('retry.jpg')] }));

      published(await publisher.run());
      assert.equal(publisher.persisted?.['restarts'], 1);
      assert.equal((await profile(emulator, 'instagram', 'ig_retry_container')).length, 1);
    });

    it('transient: "not ready" (9007/2207027) from media_publish is retried, and one post results', async () => {
      await control(emulator, '/users/instagram/ig_not_ready/publish-faults', {
        step: 'publish',
        status: 400,
        body: { error: { message: 'Media ID is not available', type: 'OAuthException', code: 9007, error_subcode: 2207027, fbtrace_id: 'x' } },
      });
      const publisher = await publisherFor('ig_not_ready', post({ assets: [image('notready.jpg')] }));

      await expectPlatformError(publisher.run(), { kind: 'transient', platformCode: '9007/2207027' });
      assert.equal(publisher.persisted?.intent, undefined, 'Instagram refused it: nothing was published');
      published(await publisher.run());
      assert.equal((await profile(emulator, 'instagram', 'ig_not_ready')).length, 1);
    });

    it('transient: a 5xx from media_publish keeps the intent, and the container tells what happened', async () => {
      await control(emulator, '/users/instagram/ig_publish_5xx/publish-faults', { step: 'publish', status: 500 });
      const publisher = await publisherFor('ig_publish_5xx', post({ assets: [image('5xx.jpg')] }));

      await expectPlatformError(publisher.run(), { kind: 'transient' });
      assert.equal(publisher.persisted?.intent, 'media_publish');
      published(await publisher.run());
      assert.equal((await profile(emulator, 'instagram', 'ig_publish_5xx')).length, 1);
    });

    it('posting_limit: the daily cap, from media_publish (9/2207042)', async () => {
      await control(emulator, '/users/instagram/ig_cap_fault/publish-faults', {
        step: 'publish',
        status: 400,
        body: { error: { message: 'You reached maximum number of posts', type: 'OAuthException', code: 9, error_subcode: 2207042, fbtrace_id: 'x' } },
      });
      const publisher = await publisherFor('ig_cap_fault', post({ assets: [image('capfault.jpg')] }));

      await expectPlatformError(publisher.run(), { kind: 'posting_limit', platformCode: '9/2207042' });
    });

    it('needs_reauth after a revoke (190/467); after reconnecting, the same post goes on and publishes once', async () => {
      const publisher = await publisherFor('ig_revoked', post({ assets: [image('revoked.jpg')] }));
      await publisher.runUntilStep('publish');
      await emulator.revokeUser('instagram', 'ig_revoked', 467);

      await expectPlatformError(publisher.run(), { kind: 'needs_reauth', platformCode: '190/467', reauthReason: 'token_revoked' });
      assert.equal(publisher.persisted?.intent, undefined);

      publisher.tokens = await connect(emulator, adapter, 'ig_revoked', SCOPES);
      published(await publisher.run());
      assert.equal((await profile(emulator, 'instagram', 'ig_revoked')).length, 1);
    });

    it('a container that expired during a long hold is replaced, and one post results', async () => {
      const publisher = await publisherFor('ig_expired', post({ assets: [image('expired.jpg')] }));
      await publisher.runUntilStep('publish');
      const first = publisher.persisted?.ids['container'];
      emulator.clock.advance(25 * HOUR_MS);

      published(await publisher.run());

      assert.notEqual(publisher.persisted?.ids['container'], first);
      assert.equal((await profile(emulator, 'instagram', 'ig_expired')).length, 1);
    });

    it('a first comment Instagram refuses leaves the post published, with a warning', async () => {
      await control(emulator, '/users/instagram/ig_comment_refused/publish-faults', { step: 'comment', status: 400 });
      const publisher = await publisherFor('ig_comment_refused', post({ assets: [image('refused.jpg')], firstComment: 'nope' }));

      const outcome = published(await publisher.run());

      assert.match(outcome.warning ?? '', /first comment was not posted/);
      assert.equal((await profile(emulator, 'instagram', 'ig_comment_refused')).length, 1);
    });

    it('a first comment left unanswered (5xx) is looked up before it is posted again: one comment', async () => {
      await control(emulator, '/users/instagram/ig_comment_5xx/publish-faults', { step: 'comment', status: 503 });
      const publisher = await publisherFor('ig_comment_5xx', post({ assets: [image('comment5xx.jpg')], firstComment: 'once' }));

      published(await publisher.run());

      assert.deepEqual((await profile(emulator, 'instagram', 'ig_comment_5xx')).map((item) => item.comments.map((comment) => comment.text)), [['once']]);
    });
  });

  describe('the 24-hour publishing limit', () => {
    let limited: TestEmulator;
    before(async () => {
      limited = await startTestEmulator({ instagram: { publishingLimit: 1 } });
    });
    after(() => limited.close());

    it('is read before any container is made: a reached limit fails with RATE_LIMITED\'s platform code', async () => {
      const limitedAdapter = createPlatformAdapter(instagram, { endpoints: limited.instagramEndpoints, clock: limited.clock });
      const userId = await limited.upsertUser('instagram', 'ig_limited');
      const tokens = await connect(limited, limitedAdapter, 'ig_limited', SCOPES);
      const make = (name: string) =>
        new Publisher(publishing, { http: limitedAdapter.http, tokens, account: { platformUserId: userId, handle: 'ig_limited' }, post: post({ assets: [image(name)] }) });

      published(await make('limit-1.jpg').run());
      const second = make('limit-2.jpg');
      await expectPlatformError(second.run(), { kind: 'posting_limit', platformCode: '9/2207042' });
      assert.equal(second.persisted, null, 'no container was made');

      limited.clock.advance(24 * HOUR_MS + 1000);
      published(await second.run());
    });
  });

  describe('a crash at each step resumes without a second post or comment', () => {
    it('a lost container answer: another container is made, only one is published', async () => {
      const publisher = await publisherFor('ig_crash_container', post({ assets: [image('crash-container.jpg')] }));
      await publisher.stepAndLose();

      published(await publisher.run());
      assert.equal((await profile(emulator, 'instagram', 'ig_crash_container')).length, 1);
    });

    it('dying before media_publish left: the container still reads FINISHED, so it is published now, once', async () => {
      const publisher = await publisherFor('ig_crash_before_publish', post({ assets: [image('crash-before.jpg')] }));
      await publisher.runUntilStep('publish');
      await publisher.step('die-before-irreversible-call');
      assert.equal(publisher.persisted?.intent, 'media_publish');

      published(await publisher.run());
      assert.equal((await profile(emulator, 'instagram', 'ig_crash_before_publish')).length, 1);
    });

    it('dying inside media_publish after Instagram published: the container reads PUBLISHED and the post is found, never published again', async () => {
      const publisher = await publisherFor('ig_crash_publish', post({ caption: 'Found again', assets: [image('crash-publish.jpg')], firstComment: 'one' }));
      await publisher.runUntilStep('publish');
      await publisher.stepAndLose();

      const outcome = published(await publisher.run());

      const items = await profile(emulator, 'instagram', 'ig_crash_publish');
      assert.equal(items.length, 1);
      assert.equal(outcome.externalId, items[0]?.externalId);
      assert.deepEqual(items[0]?.comments.map((comment) => comment.text), ['one']);
      assert.deepEqual(publisher.intents, ['media_publish', 'first_comment'], 'media_publish was called once');
    });

    it('when the published post cannot be told apart from another with the same caption, it stays published without an id, with a warning', async () => {
      const first = await publisherFor('ig_twins', post({ caption: 'Same words', assets: [image('twin-1.jpg')] }));
      published(await first.run());
      const { tokens, userId } = await account('ig_twins');
      const second = new Publisher(publishing, { http: adapter.http, tokens, account: { platformUserId: userId, handle: 'ig_twins' }, post: post({ caption: 'Same words', assets: [image('twin-2.jpg')] }) });
      await second.runUntilStep('publish');
      await second.stepAndLose();

      const outcome = published(await second.run());

      assert.equal(outcome.externalId, null);
      assert.match(outcome.warning ?? '', /could not be told apart/);
      assert.equal((await profile(emulator, 'instagram', 'ig_twins')).length, 2);
    });

    it('a lost permalink answer is read again', async () => {
      const publisher = await publisherFor('ig_crash_permalink', post({ assets: [image('crash-permalink.jpg')] }));
      await publisher.runUntilStep('permalink');
      await publisher.stepAndLose();

      assert.match(published(await publisher.run()).externalUrl ?? '', /instagram\.com\/p\//);
    });

    it('dying inside the first comment after it was posted: found, not posted twice', async () => {
      const publisher = await publisherFor('ig_crash_comment', post({ assets: [image('crash-comment.jpg')], firstComment: 'only once' }));
      await publisher.runUntilStep('comment');
      await publisher.stepAndLose();
      assert.equal(publisher.persisted?.intent, 'first_comment');

      published(await publisher.run());
      assert.deepEqual((await profile(emulator, 'instagram', 'ig_crash_comment')).map((item) => item.comments.map((comment) => comment.text)), [['only once']]);
    });

    it('dying before the first comment left: not found, so posted, once', async () => {
      const publisher = await publisherFor('ig_crash_before_comment', post({ assets: [image('crash-before-comment.jpg')], firstComment: 'late' }));
      await publisher.runUntilStep('comment');
      await publisher.step('die-before-irreversible-call');

      published(await publisher.run());
      assert.deepEqual((await profile(emulator, 'instagram', 'ig_crash_before_comment')).map((item) => item.comments.map((comment) => comment.text)), [['late']]);
    });
  });
});

describe('Instagram target rules', () => {
  const { checkTarget, modes, firstComment, targetFields } = createInstagramPublishing();
  const target = (caption: string, settings: Record<string, unknown> = {}) => ({ mode: 'publish' as const, caption, firstComment: null, settings });

  it('declares one mode, a first comment and shareReelToFeed', () => {
    assert.deepEqual(modes, ['publish']);
    assert.equal(firstComment, true);
    assert.deepEqual(Object.keys(targetFields), ['shareReelToFeed']);
  });

  it('shareReelToFeed only with a video', () => {
    assert.deepEqual(checkTarget(target('x', { shareReelToFeed: true }), [{ kind: 'video', mimeType: 'video/mp4' }]), []);
    assert.deepEqual(checkTarget(target('x', { shareReelToFeed: true }), [{ kind: 'image', mimeType: 'image/jpeg' }]).map((problem) => problem.field), ['shareReelToFeed']);
  });

  it('captions: 2,200 characters, 30 hashtags, 20 mentions', () => {
    assert.deepEqual(captionProblems('ok #one @two'), []);
    assert.equal(captionProblems('x'.repeat(2201)).length, 1);
    assert.equal(captionProblems(Array.from({ length: 31 }, (_, i) => `#tag${i}`).join(' ')).length, 1);
    assert.equal(captionProblems(Array.from({ length: 21 }, (_, i) => `@user${i}`).join(' ')).length, 1);
    assert.equal(captionProblems('write to me@example.com'.repeat(25)).length, 0, 'an e-mail address is not a mention');
    assert.deepEqual(checkTarget(target('x'.repeat(2201)), [{ kind: 'image', mimeType: 'image/jpeg' }]).map((problem) => problem.field), ['captionOverride']);
  });

  it('reads a container ERROR reason', () => {
    assert.deepEqual(Object.values(classifyContainerError('2207026')).slice(0, 2), ['rejected', '2207026']);
    assert.deepEqual(Object.values(classifyContainerError('Error: download failed (2207003)')).slice(0, 2), ['transient', '2207003']);
    assert.deepEqual(Object.values(classifyContainerError(null)).slice(0, 2), ['rejected', 'container_error']);
  });
});
