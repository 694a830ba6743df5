import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { PlatformAdapter } from '../../src/platforms/adapter.ts';
import { createPlatformAdapter } from '../../src/platforms/oauth-core.ts';
import type { PublishAsset, PublishPost } from '../../src/platforms/publishing.ts';
import { tiktok } from '../../src/platforms/tiktok/index.ts';
import { createTikTokPublishing, planChunks, publicPostIds } from '../../src/platforms/tiktok/publishing.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { expectPlatformError, startTestEmulator, type TestEmulator } from './emulator-harness.ts';
import {
  Publisher,
  asset,
  connect,
  control,
  fixture,
  post,
  profile,
  sha256,
  startMediaServer,
  type MediaServer,
} from './publish-driver.ts';

const SCOPES = ['user.info.basic', 'user.info.profile', 'video.publish', 'video.upload'];
/** Small chunks so the 39 KB fixture goes up in four; the emulator is told to take them. */
const CHUNK = 8192;
const clip = fixture('clip.mp4');
const photos = [fixture('photo-1.jpg'), fixture('photo-2.jpg')];

describe('TikTok publishing against the emulator', () => {
  let emulator: TestEmulator;
  let media: MediaServer;
  let adapter: PlatformAdapter;
  let pullAdapter: PlatformAdapter;
  const publishing = createTikTokPublishing({ chunkSizeBytes: CHUNK });

  before(async () => {
    emulator = await startTestEmulator({ tiktok: { minChunkBytes: 4096 } });
    media = await startMediaServer();
    adapter = createPlatformAdapter(tiktok, { endpoints: emulator.tiktokEndpoints, clock: emulator.clock });
    // An operator who verified the media server's prefix with TikTok: videos under it are pulled.
    const endpoints = { ...emulator.tiktokEndpoints, settings: { verifiedMediaUrlPrefix: `${media.url}/` } };
    pullAdapter = createPlatformAdapter(tiktok, { endpoints, clock: emulator.clock });
  });
  after(async () => {
    await media.close();
    await emulator.close();
  });

  function videoAsset(name: string, bytes: Uint8Array = clip): ReturnType<typeof asset> {
    return asset(bytes, { kind: 'video', mimeType: 'video/mp4', publicUrl: media.serve(name, bytes, 'video/mp4') });
  }

  function photoAssets(prefix: string): PublishAsset[] {
    return photos.map((bytes, index) => asset(bytes, { kind: 'image', mimeType: 'image/jpeg', publicUrl: media.serve(`${prefix}-${index}.jpg`, bytes, 'image/jpeg') }));
  }

  async function creator(username: string, options: { privateAccount?: boolean } = {}): Promise<{ tokens: TokenSet; openId: string }> {
    const openId = await emulator.upsertUser('tiktok', username);
    if (options.privateAccount !== undefined) await control(emulator, `/users/tiktok/${username}`, { privateAccount: options.privateAccount });
    return { tokens: await connect(emulator, adapter, username, SCOPES), openId };
  }

  async function publisherFor(username: string, postInit: PublishPost, options: { pull?: boolean; privateAccount?: boolean } = {}) {
    const { tokens, openId } = await creator(username, options);
    const http = (options.pull ? pullAdapter : adapter).http;
    return new Publisher(publishing, { http, tokens, account: { platformUserId: openId, handle: username }, post: postInit });
  }

  async function uploadRequests(): Promise<number> {
    const log = (await (await fetch(`${emulator.url}/_control/requests`)).json()) as { requests: Array<{ method: string; path: string }> };
    return log.requests.filter((entry) => entry.method === 'PUT' && entry.path === '/tiktok/upload/video/').length;
  }

  describe('paths', () => {
    it('uploads a video in chunks read one range at a time, and the profile shows those exact bytes', async () => {
      const video = videoAsset('chunks.mp4');
      const putsBefore = await uploadRequests();
      const publisher = await publisherFor('tt_chunks', post({ caption: 'Four chunks #fyp', assets: [video] }));

      const outcome = await publisher.run();

      const [item, ...others] = await profile(emulator, 'tiktok', 'tt_chunks');
      assert.equal(others.length, 0);
      assert.ok(item);
      assert.deepEqual(
        { kind: item.kind, caption: item.caption, privacyLevel: item.privacyLevel, draft: item.draft, mediaSha256: item.mediaSha256 },
        { kind: 'video', caption: 'Four chunks #fyp', privacyLevel: 'SELF_ONLY', draft: false, mediaSha256: [sha256(clip)] },
      );
      assert.equal(outcome.status, 'published');
      assert.ok(outcome.status === 'published');
      assert.equal(outcome.externalId, item.externalId);
      assert.equal(outcome.externalUrl, `https://www.tiktok.com/@tt_chunks/video/${item.externalId}`);
      // 39,480 bytes in 8 KiB chunks: floor(39480 / 8192) = 4, the last one taking the remainder.
      assert.deepEqual(video.opened, [
        { start: 0, end: 8191 },
        { start: 8192, end: 16383 },
        { start: 16384, end: 24575 },
        { start: 24576, end: 39479 },
      ]);
      assert.equal((await uploadRequests()) - putsBefore, 4);
      assert.deepEqual(publisher.intents, ['upload_complete']);
      assert.equal(media.fetches.includes('/chunks.mp4'), false, 'an uploaded video is never pulled');
    });

    it('with the default 10 MB chunks, a 21 MB video goes up in two chunks under TikTok\'s own rules', async () => {
      const big = Buffer.concat([clip, randomBytes(21 * 1024 * 1024 - clip.length)]);
      const video = videoAsset('big.mp4', big);
      const { tokens, openId } = await creator('tt_big');
      const publisher = new Publisher(createTikTokPublishing(), { http: adapter.http, tokens, account: { platformUserId: openId, handle: 'tt_big' }, post: post({ assets: [video] }) });

      assert.equal((await publisher.run()).status, 'published');

      assert.deepEqual(planChunks(big.length, 10 * 1024 * 1024), { chunkSize: 10 * 1024 * 1024, chunkCount: 2 });
      assert.deepEqual(video.opened, [
        { start: 0, end: 10 * 1024 * 1024 - 1 },
        { start: 10 * 1024 * 1024, end: big.length - 1 },
      ]);
      assert.deepEqual((await profile(emulator, 'tiktok', 'tt_big')).map((item) => item.mediaSha256), [[sha256(big)]]);
    });

    it('pulls a video from a verified URL prefix: TikTok fetches it, nothing is uploaded', async () => {
      const video = videoAsset('pulled.mp4');
      const putsBefore = await uploadRequests();
      const publisher = await publisherFor('tt_pull', post({ caption: 'Pulled', assets: [video] }), { pull: true });

      const outcome = await publisher.run();

      assert.equal(outcome.status, 'published');
      assert.deepEqual(publisher.intents, ['video_init']);
      assert.ok(media.fetches.includes('/pulled.mp4'));
      assert.deepEqual(video.opened, []);
      assert.equal(await uploadRequests(), putsBefore);
      assert.deepEqual((await profile(emulator, 'tiktok', 'tt_pull')).map((item) => [item.caption, item.mediaSha256]), [['Pulled', [sha256(clip)]]]);
    });

    it('uploads in chunks when the video is not under the verified prefix', async () => {
      const video = asset(clip, { kind: 'video', mimeType: 'video/mp4', publicUrl: 'https://media.example.com/elsewhere.mp4' });
      const publisher = await publisherFor('tt_unverified', post({ assets: [video] }), { pull: true });

      assert.equal((await publisher.run()).status, 'published');
      assert.equal(video.opened.length, 4);
    });

    it('posts photos by URL, in order, with the caption as the description', async () => {
      const publisher = await publisherFor('tt_photos', post({ caption: 'Two photos', assets: photoAssets('photos') }));

      const outcome = await publisher.run();

      const [item] = await profile(emulator, 'tiktok', 'tt_photos');
      assert.ok(item && outcome.status === 'published');
      assert.deepEqual([item.kind, item.caption, item.mediaSha256], ['photo', 'Two photos', photos.map((bytes) => sha256(bytes))]);
      assert.equal(outcome.externalUrl, `https://www.tiktok.com/@tt_photos/photo/${item.externalId}`);
      assert.deepEqual(publisher.intents, ['photo_init']);
    });

    it('sends a video draft to the inbox: status draft, known by its publish_id', async () => {
      const publisher = await publisherFor('tt_draft', post({ mode: 'draft', caption: 'For later', assets: [videoAsset('draft.mp4')] }));

      const outcome = await publisher.run();

      const [item] = await profile(emulator, 'tiktok', 'tt_draft');
      assert.ok(item && outcome.status === 'draft');
      assert.match(outcome.externalId ?? '', /^v_inbox_file~/);
      assert.equal(outcome.externalUrl, null);
      assert.deepEqual([item.externalId, item.draft, item.privacyLevel, item.mediaSha256], [outcome.externalId, true, null, [sha256(clip)]]);
    });

    it('sends photos as a draft with MEDIA_UPLOAD', async () => {
      const publisher = await publisherFor('tt_photo_draft', post({ mode: 'draft', assets: photoAssets('photo-draft') }));

      const outcome = await publisher.run();

      assert.equal(outcome.status, 'draft');
      assert.ok(outcome.status === 'draft');
      assert.match(outcome.externalId ?? '', /^p_inbox_url~/);
      assert.deepEqual((await profile(emulator, 'tiktok', 'tt_photo_draft')).map((item) => [item.kind, item.draft]), [['photo', true]]);
    });
  });

  describe('privacy and creator settings', () => {
    it('posts publicly when asked and the creator offers it', async () => {
      const publisher = await publisherFor('tt_public', post({ assets: [videoAsset('public.mp4')], settings: { tiktokPostSettings: { privacyLevel: 'PUBLIC_TO_EVERYONE' } } }));
      await publisher.run();
      assert.deepEqual((await profile(emulator, 'tiktok', 'tt_public')).map((item) => item.privacyLevel), ['PUBLIC_TO_EVERYONE']);
    });

    it('refuses a privacy level a private account does not offer, before anything is sent', async () => {
      const publisher = await publisherFor(
        'tt_private',
        post({ assets: [videoAsset('private.mp4')], settings: { tiktokPostSettings: { privacyLevel: 'PUBLIC_TO_EVERYONE' } } }),
        { privateAccount: true },
      );

      const error = await expectPlatformError(publisher.run(), { kind: 'rejected', platformCode: 'privacy_level_option_mismatch' });

      assert.match(error.message, /FOLLOWER_OF_CREATOR, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY/);
      assert.deepEqual(await profile(emulator, 'tiktok', 'tt_private'), []);
      assert.deepEqual(publisher.intents, []);
    });

    it('defaults branded content to the most restrictive level it may use, which is not SELF_ONLY', async () => {
      const publisher = await publisherFor('tt_branded', post({ assets: [videoAsset('branded.mp4')], settings: { tiktokPostSettings: { isBrandedContent: true } } }));
      await publisher.run();
      assert.deepEqual((await profile(emulator, 'tiktok', 'tt_branded')).map((item) => item.privacyLevel), ['MUTUAL_FOLLOW_FRIENDS']);
    });

    it('refuses a video longer than the creator may post, before anything is sent', async () => {
      const long = asset(clip, { kind: 'video', mimeType: 'video/mp4', publicUrl: media.serve('long.mp4', clip, 'video/mp4'), durationMs: 601_000 });
      const publisher = await publisherFor('tt_long', post({ assets: [long] }));

      await expectPlatformError(publisher.run(), { kind: 'rejected', platformCode: 'duration_check_failed' });

      assert.deepEqual(long.opened, []);
      assert.deepEqual(await profile(emulator, 'tiktok', 'tt_long'), []);
    });
  });

  describe('processing', () => {
    it('polls while TikTok processes, with a delay to wait, then publishes', async () => {
      await control(emulator, '/users/tiktok/tt_slow/processing', { delaySeconds: 30 });
      const publisher = await publisherFor('tt_slow', post({ assets: [videoAsset('slow.mp4')] }));
      await publisher.runUntilStep('status');

      const waiting = await publisher.step();
      assert.equal(waiting.status, 'continue');
      assert.ok(waiting.status === 'continue' && (waiting.retryAfterMs ?? 0) > 0);
      assert.deepEqual(await profile(emulator, 'tiktok', 'tt_slow'), [], 'nothing shows while processing');

      emulator.clock.advance(31_000);
      assert.equal((await publisher.run()).status, 'published');
      assert.equal((await profile(emulator, 'tiktok', 'tt_slow')).length, 1);
    });

    it('falls back to the publish_id when the public post id is not told yet (moderation)', async () => {
      await control(emulator, '/users/tiktok/tt_moderated/processing', { publicIdDelaySeconds: 3600 });
      const publisher = await publisherFor('tt_moderated', post({ assets: [videoAsset('moderated.mp4')], settings: { tiktokPostSettings: { privacyLevel: 'PUBLIC_TO_EVERYONE' } } }));

      const outcome = await publisher.run();

      assert.ok(outcome.status === 'published');
      assert.match(outcome.externalId ?? '', /^v_pub_file~/);
      assert.equal(outcome.externalUrl, null);
    });
  });

  describe('failures', () => {
    it('rejected: a processing failure TikTok reports (duration_check_failed) ends with its code, nothing posted', async () => {
      await control(emulator, '/users/tiktok/tt_dur/publish-faults', { step: 'processing', reason: 'duration_check_failed' });
      const publisher = await publisherFor('tt_dur', post({ assets: [videoAsset('dur.mp4')] }));

      await expectPlatformError(publisher.run(), { kind: 'rejected', platformCode: 'duration_check_failed' });
      assert.deepEqual(await profile(emulator, 'tiktok', 'tt_dur'), []);
    });

    it('rejected: bytes that are not a video fail TikTok\'s format check', async () => {
      const notVideo = Buffer.from('this is a text file, not a video at all'.repeat(100));
      const publisher = await publisherFor('tt_format', post({ assets: [videoAsset('text.mp4', notVideo)] }));

      await expectPlatformError(publisher.run(), { kind: 'rejected', platformCode: 'file_format_check_failed' });
      assert.deepEqual(await profile(emulator, 'tiktok', 'tt_format'), []);
    });

    it('posting_limit: spam_risk_too_many_posts at init', async () => {
      await control(emulator, '/users/tiktok/tt_spam/publish-faults', {
        step: 'init',
        status: 403,
        body: { data: {}, error: { code: 'spam_risk_too_many_posts', message: 'too many', log_id: 'x' } },
      });
      const publisher = await publisherFor('tt_spam', post({ assets: photoAssets('spam') }));

      await expectPlatformError(publisher.run(), { kind: 'posting_limit', platformCode: 'spam_risk_too_many_posts' });
      // The refused init took no effect, so its intent is gone: a later attempt is not "uncertain".
      assert.equal(publisher.persisted?.intent, undefined);
      assert.deepEqual(await profile(emulator, 'tiktok', 'tt_spam'), []);
    });

    it('transient: a 5xx on a status read is retried from where it stood, and publishes once', async () => {
      await control(emulator, '/users/tiktok/tt_flaky/publish-faults', { step: 'status', status: 500 });
      const publisher = await publisherFor('tt_flaky', post({ assets: [videoAsset('flaky.mp4')] }));

      await expectPlatformError(publisher.run(), { kind: 'transient', platformCode: 'internal_error' });
      assert.equal(publisher.persisted?.step, 'status');

      assert.equal((await publisher.run()).status, 'published');
      assert.equal((await profile(emulator, 'tiktok', 'tt_flaky')).length, 1);
    });

    it('transient: a 5xx on a chunk is retried with the same chunk', async () => {
      await control(emulator, '/users/tiktok/tt_chunk_fail/publish-faults', { step: 'upload', status: 503 });
      const video = videoAsset('chunk-fail.mp4');
      const publisher = await publisherFor('tt_chunk_fail', post({ assets: [video] }));

      await expectPlatformError(publisher.run(), { kind: 'transient' });
      assert.equal((await publisher.run()).status, 'published');
      assert.deepEqual(video.opened[0], video.opened[1], 'the failed chunk was sent again');
      assert.deepEqual((await profile(emulator, 'tiktok', 'tt_chunk_fail')).map((item) => item.mediaSha256), [[sha256(clip)]]);
    });

    it('transient: TikTok failing the processing (internal) starts a new attempt by itself, and one post results', async () => {
      await control(emulator, '/users/tiktok/tt_internal/publish-faults', { step: 'processing', reason: 'internal' });
      const publisher = await publisherFor('tt_internal', post({ assets: [videoAsset('internal.mp4')] }));

      assert.equal((await publisher.run()).status, 'published');
      assert.equal(publisher.intents.filter((intent) => intent === 'upload_complete').length, 2);
      assert.equal((await profile(emulator, 'tiktok', 'tt_internal')).length, 1);
    });

    it('transient: the per-token init rate limit (429 rate_limit_exceeded)', async () => {
      await control(emulator, '/users/tiktok/tt_rate/publish-faults', {
        step: 'init',
        status: 429,
        body: { data: {}, error: { code: 'rate_limit_exceeded', message: 'slow down', log_id: 'x' } },
      });
      const publisher = await publisherFor('tt_rate', post({ assets: [videoAsset('rate.mp4')] }), { pull: true });

      await expectPlatformError(publisher.run(), { kind: 'transient', platformCode: 'rate_limit_exceeded' });
      assert.equal(publisher.persisted?.intent, undefined, 'a refused pull init is known not to have posted');
      assert.equal((await publisher.run()).status, 'published');
      assert.equal((await profile(emulator, 'tiktok', 'tt_rate')).length, 1);
    });

    it('needs_reauth after a revoke (401 access_token_invalid); after reconnecting, the same post goes on and publishes once', async () => {
      const publisher = await publisherFor('tt_revoked', post({ assets: [videoAsset('revoked.mp4')] }));
      await publisher.runUntilStep('upload');
      await publisher.step();
      await emulator.revokeUser('tiktok', 'tt_revoked');

      await expectPlatformError(publisher.run(), { kind: 'needs_reauth', platformCode: 'access_token_invalid', reauthReason: 'credential_invalid' });

      publisher.tokens = await connect(emulator, adapter, 'tt_revoked', SCOPES);
      assert.equal((await publisher.run()).status, 'published');
      assert.deepEqual((await profile(emulator, 'tiktok', 'tt_revoked')).map((item) => item.mediaSha256), [[sha256(clip)]]);
    });

    it('needs_reauth when the person removed the app mid-way (fail_reason auth_removed)', async () => {
      await control(emulator, '/users/tiktok/tt_removed/publish-faults', { step: 'processing', reason: 'auth_removed' });
      const publisher = await publisherFor('tt_removed', post({ assets: photoAssets('removed') }));
      await publisher.runUntilStep('status');
      await emulator.revokeUser('tiktok', 'tt_removed');

      await expectPlatformError(publisher.run(), { kind: 'needs_reauth', platformCode: 'access_token_invalid' });
      assert.deepEqual(await profile(emulator, 'tiktok', 'tt_removed'), []);
    });
  });

  describe('caps of the emulated account', () => {
    let capped: TestEmulator;
    before(async () => {
      capped = await startTestEmulator({ tiktok: { dailyPostCap: 1, initsPerMinute: 2 } });
    });
    after(() => capped.close());

    it('a reached daily cap is answered by creator info with HTTP 200 and spam_risk_too_many_posts', async () => {
      const cappedAdapter = createPlatformAdapter(tiktok, { endpoints: capped.tiktokEndpoints, clock: capped.clock });
      const openId = await capped.upsertUser('tiktok', 'tt_capped');
      const tokens = await connect(capped, cappedAdapter, 'tt_capped', SCOPES);
      const first = new Publisher(publishing, { http: cappedAdapter.http, tokens, account: { platformUserId: openId, handle: 'tt_capped' }, post: post({ assets: photoAssets('cap-1') }) });
      const second = new Publisher(publishing, { http: cappedAdapter.http, tokens, account: { platformUserId: openId, handle: 'tt_capped' }, post: post({ assets: photoAssets('cap-2') }) });

      assert.equal((await first.run()).status, 'published');
      const error = await expectPlatformError(second.run(), { kind: 'posting_limit', platformCode: 'spam_risk_too_many_posts' });
      assert.equal(error.httpStatus, 200);
    });

    it('more inits than the token may make in a minute answer 429 rate_limit_exceeded', async () => {
      const cappedAdapter = createPlatformAdapter(tiktok, { endpoints: capped.tiktokEndpoints, clock: capped.clock });
      const openId = await capped.upsertUser('tiktok', 'tt_hasty');
      const tokens = await connect(capped, cappedAdapter, 'tt_hasty', SCOPES);
      const drafts = Array.from({ length: 3 }, (_, index) =>
        new Publisher(publishing, { http: cappedAdapter.http, tokens, account: { platformUserId: openId, handle: 'tt_hasty' }, post: post({ mode: 'draft', assets: photoAssets(`hasty-${index}`) }) }),
      );
      for (const draft of drafts.slice(0, 2)) assert.equal((await draft.run()).status, 'draft');

      await expectPlatformError((drafts[2] as Publisher).run(), { kind: 'transient', platformCode: 'rate_limit_exceeded' });
      capped.clock.advance(61_000);
      assert.equal((await (drafts[2] as Publisher).run()).status, 'draft');
    });
  });

  describe('a crash at each step resumes without a second post', () => {
    it('creator info and each non-final chunk: the lost step is simply done again', async () => {
      const video = videoAsset('crash-chunks.mp4');
      const putsBefore = await uploadRequests();
      const publisher = await publisherFor('tt_crash_chunks', post({ assets: [video] }));
      await publisher.stepAndLose(); // creator info, answer lost
      await publisher.step();
      await publisher.stepAndLose(); // init (no post until the last chunk), answer lost
      await publisher.step();
      await publisher.stepAndLose(); // chunk 1 sent, not recorded: TikTok answers 416 next time and says where it stands

      assert.equal((await publisher.run()).status, 'published');
      assert.deepEqual((await profile(emulator, 'tiktok', 'tt_crash_chunks')).map((item) => item.mediaSha256), [[sha256(clip)]]);
      // Four chunks, plus the first one sent again and refused with 416.
      assert.equal((await uploadRequests()) - putsBefore, 5);
    });

    it('dying inside the last chunk after TikTok got it: the status says the upload is complete, one post', async () => {
      const publisher = await publisherFor('tt_crash_last', post({ assets: [videoAsset('crash-last.mp4')] }));
      await publisher.runUntilStep('upload');
      for (let chunk = 0; chunk < 3; chunk++) await publisher.step();

      await publisher.stepAndLose();
      assert.equal(publisher.persisted?.intent, 'upload_complete');

      assert.equal((await publisher.run()).status, 'published');
      assert.equal((await profile(emulator, 'tiktok', 'tt_crash_last')).length, 1);
      assert.deepEqual(publisher.intents, ['upload_complete'], 'the last chunk was not sent twice');
    });

    it('dying before the last chunk left: the status says bytes are missing, so it is sent, one post', async () => {
      const publisher = await publisherFor('tt_crash_before_last', post({ assets: [videoAsset('crash-before-last.mp4')] }));
      await publisher.runUntilStep('upload');
      for (let chunk = 0; chunk < 3; chunk++) await publisher.step();

      assert.equal((await publisher.step('die-before-irreversible-call')).status, 'crashed');
      assert.deepEqual(await profile(emulator, 'tiktok', 'tt_crash_before_last'), []);

      assert.equal((await publisher.run()).status, 'published');
      assert.deepEqual((await profile(emulator, 'tiktok', 'tt_crash_before_last')).map((item) => item.mediaSha256), [[sha256(clip)]]);
    });

    it('dying inside a pull init: no publish_id was kept and TikTok cannot be asked, so uncertain, never a second post', async () => {
      const publisher = await publisherFor('tt_crash_pull', post({ assets: [videoAsset('crash-pull.mp4')] }), { pull: true });
      await publisher.runUntilStep('init');
      await publisher.stepAndLose();

      const outcome = await publisher.run();

      assert.equal(outcome.status, 'uncertain');
      assert.ok(outcome.status === 'uncertain');
      assert.match(outcome.message, /look at the account/);
      assert.equal((await profile(emulator, 'tiktok', 'tt_crash_pull')).length, 1, 'TikTok had taken it; it was not posted again');
    });

    it('dying right before a photo init left: uncertain too (it cannot be told from a lost answer)', async () => {
      const publisher = await publisherFor('tt_crash_photo', post({ assets: photoAssets('crash-photo') }));
      await publisher.runUntilStep('init');
      await publisher.step('die-before-irreversible-call');

      assert.equal((await publisher.run()).status, 'uncertain');
      assert.deepEqual(await profile(emulator, 'tiktok', 'tt_crash_photo'), []);
    });

    it('a lost status answer is read again', async () => {
      const publisher = await publisherFor('tt_crash_status', post({ assets: photoAssets('crash-status') }));
      await publisher.runUntilStep('status');
      await publisher.stepAndLose();

      assert.equal((await publisher.run()).status, 'published');
      assert.equal((await profile(emulator, 'tiktok', 'tt_crash_status')).length, 1);
    });
  });
});

describe('TikTok target rules', () => {
  const { checkTarget } = createTikTokPublishing();
  const video = [{ kind: 'video' as const, mimeType: 'video/mp4' }];
  const photo = [{ kind: 'image' as const, mimeType: 'image/jpeg' }];
  const target = (settings: Record<string, unknown>, extra: { mode?: 'publish' | 'draft'; caption?: string } = {}) => ({
    mode: extra.mode ?? 'publish',
    caption: extra.caption ?? 'caption',
    firstComment: null,
    settings,
  });

  it('accepts the plain cases', () => {
    assert.deepEqual(checkTarget(target({}), video), []);
    assert.deepEqual(checkTarget(target({ tiktokMusic: { mode: 'auto' } }), photo), []);
    assert.deepEqual(checkTarget(target({ tiktokMusic: { mode: 'none' } }), video), []);
    assert.deepEqual(checkTarget(target({ tiktokPostSettings: { privacyLevel: 'SELF_ONLY', disableDuet: true } }), video), []);
  });

  it('names the field of each problem', () => {
    const fields = (settings: Record<string, unknown>, assets: Array<{ kind: 'video' | 'image'; mimeType: string }> = video, extra = {}) => checkTarget(target(settings, extra), assets).map((problem) => problem.field);
    assert.deepEqual(fields({ tiktokMusic: { mode: 'manual', trackId: 't1' } }), ['tiktokMusic.mode']);
    assert.deepEqual(fields({ tiktokMusic: { mode: 'auto' } }), ['tiktokMusic.mode']);
    assert.deepEqual(fields({ tiktokMusic: { mode: 'none', trackId: 't1' } }), ['tiktokMusic.trackId']);
    assert.deepEqual(fields({ tiktokMusic: { mode: 'none' } }, photo, { mode: 'draft' }), ['tiktokMusic']);
    assert.deepEqual(fields({ tiktokPostSettings: { privacyLevel: 'SELF_ONLY', isBrandedContent: true } }), ['tiktokPostSettings.privacyLevel']);
    assert.deepEqual(fields({}, video, { caption: 'x'.repeat(2201) }), ['captionOverride']);
    assert.deepEqual(fields({}, photo, { caption: 'x'.repeat(2201) }), []);
    assert.deepEqual(fields({}, photo, { caption: 'x'.repeat(4001) }), ['captionOverride']);
  });

  it('declares its fields, modes and no first comment', () => {
    const module = createTikTokPublishing();
    assert.deepEqual(Object.keys(module.targetFields), ['tiktokPostSettings', 'tiktokMusic']);
    assert.deepEqual(module.modes, ['publish', 'draft']);
    assert.equal(module.firstComment, false);
    assert.equal(module.targetFields['tiktokPostSettings']?.safeParse({ privacyLevel: 'FRIENDS' }).success, false);
    assert.equal(module.targetFields['tiktokPostSettings']?.safeParse({ unknown: true }).success, false);
  });
});

describe('TikTok publishing helpers', () => {
  it('plans chunks as TikTok counts them', () => {
    const MB = 1024 * 1024;
    assert.deepEqual(planChunks(3 * MB, 10 * MB), { chunkSize: 3 * MB, chunkCount: 1 });
    assert.deepEqual(planChunks(10 * MB, 10 * MB), { chunkSize: 10 * MB, chunkCount: 1 });
    assert.deepEqual(planChunks(19 * MB, 10 * MB), { chunkSize: 10 * MB, chunkCount: 1 });
    assert.deepEqual(planChunks(100 * MB, 10 * MB), { chunkSize: 10 * MB, chunkCount: 10 });
  });

  it('reads 64-bit public post ids from the raw answer, exactly', () => {
    const text = '{"data":{"status":"PUBLISH_COMPLETE","publicaly_available_post_id":[7345678901234567891],"uploaded_bytes":1},"error":{"code":"ok"}}';
    assert.deepEqual(publicPostIds(text), ['7345678901234567891']);
    assert.notEqual(String((JSON.parse(text) as { data: { publicaly_available_post_id: number[] } }).data.publicaly_available_post_id[0]), '7345678901234567891');
    assert.deepEqual(publicPostIds('{"data":{"publicaly_available_post_id":[]}}'), []);
  });
});
