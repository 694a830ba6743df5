import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PlatformAdapter } from '../../src/platforms/adapter.ts';
import { instagram } from '../../src/platforms/instagram/index.ts';
import { createPlatformAdapter } from '../../src/platforms/oauth-core.ts';
import { PLATFORM_MODULES } from '../../src/platforms/registry.ts';
import { tiktok } from '../../src/platforms/tiktok/index.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { expectPlatformError, startTestEmulator, type TestEmulator } from './emulator-harness.ts';
import { Publisher, asset, connect, control, fixture, post, profile, startMediaServer, type MediaServer } from './publish-driver.ts';

const photo = fixture('photo-1.jpg');
const TIKTOK_SCOPES = ['user.info.basic', 'video.publish', 'video.upload', 'video.list', 'user.info.stats'];
const INSTAGRAM_SCOPES = ['instagram_business_basic', 'instagram_business_content_publish', 'instagram_business_manage_insights'];

async function queryCalls(emulator: TestEmulator, path: string): Promise<number> {
  const log = (await (await fetch(`${emulator.url}/_control/requests`)).json()) as { requests: Array<{ path: string }> };
  return log.requests.filter((entry) => entry.path === path).length;
}

describe('metrics readers against the emulator', () => {
  let emulator: TestEmulator;
  let media: MediaServer;
  let tiktokAdapter: PlatformAdapter;
  let instagramAdapter: PlatformAdapter;

  before(async () => {
    emulator = await startTestEmulator();
    media = await startMediaServer();
    tiktokAdapter = createPlatformAdapter(tiktok, { endpoints: emulator.tiktokEndpoints, clock: emulator.clock });
    instagramAdapter = createPlatformAdapter(instagram, { endpoints: emulator.instagramEndpoints, clock: emulator.clock });
  });
  after(async () => {
    await media.close();
    await emulator.close();
  });

  function photoAsset(name: string) {
    return asset(photo, { kind: 'image', mimeType: 'image/jpeg', publicUrl: media.serve(name, photo, 'image/jpeg') });
  }

  async function publishTikTok(username: string, tokens: TokenSet, openId: string, name: string): Promise<string> {
    const publisher = new Publisher(tiktok.publishing!, { http: tiktokAdapter.http, tokens, account: { platformUserId: openId, handle: username }, post: post({ assets: [photoAsset(name)] }) });
    const outcome = await publisher.run();
    assert.ok(outcome.status === 'published' && outcome.externalId !== null);
    return outcome.externalId;
  }

  async function publishInstagram(username: string, tokens: TokenSet, userId: string, name: string): Promise<string> {
    const publisher = new Publisher(instagram.publishing!, { http: instagramAdapter.http, tokens, account: { platformUserId: userId, handle: username }, post: post({ assets: [photoAsset(name)] }) });
    const outcome = await publisher.run();
    assert.ok(outcome.status === 'published' && outcome.externalId !== null);
    return outcome.externalId;
  }

  it('every platform module says what it measures', () => {
    assert.deepEqual(
      Object.fromEntries(PLATFORM_MODULES.map((module) => [module.id, [module.metrics?.postMetrics ?? null, module.metrics?.followers ?? null]])),
      {
        tiktok: [['views', 'likes', 'comments', 'shares'], true],
        instagram: [['views', 'reach', 'likes', 'comments', 'shares', 'saves'], true],
        // This server does not read YouTube metrics.
        youtube: [null, null],
      },
    );
  });

  describe('TikTok', () => {
    const metrics = tiktok.metrics!;

    it('reads the counters set on the emulator through video/query, 20 ids a call, and followers through user/info', async () => {
      const openId = await emulator.upsertUser('tiktok', 'tt_counted');
      await control(emulator, '/users/tiktok/tt_counted', { followers: 1234 });
      const tokens = await connect(emulator, tiktokAdapter, 'tt_counted', TIKTOK_SCOPES);
      const first = await publishTikTok('tt_counted', tokens, openId, 'tt-m1.jpg');
      const second = await publishTikTok('tt_counted', tokens, openId, 'tt-m2.jpg');
      await control(emulator, `/published/tiktok/tt_counted/${first}/stats`, { views: 1000, likes: 120, comments: 7, shares: 3, saves: 9, reach: 800 });
      await control(emulator, `/published/tiktok/tt_counted/${second}/stats`, { views: 50 });
      // Nineteen ids TikTok does not know: 21 in all, so two calls.
      const unknown = Array.from({ length: 19 }, (_, index) => `7000000000000000${String(index).padStart(3, '0')}`);
      const callsBefore = await queryCalls(emulator, '/tiktok/open/v2/video/query/');

      const counters = await metrics.readPosts(tiktokAdapter.http, tokens, { platformUserId: openId, handle: 'tt_counted' }, [first, ...unknown, second]);

      assert.equal((await queryCalls(emulator, '/tiktok/open/v2/video/query/')) - callsBefore, 2);
      assert.deepEqual(Object.fromEntries(counters), {
        [first]: { views: 1000, likes: 120, comments: 7, shares: 3 },
        [second]: { views: 50, likes: 0, comments: 0, shares: 0 },
      });
      assert.equal(await metrics.readFollowers(tiktokAdapter.http, tokens, { platformUserId: openId, handle: 'tt_counted' }), 1234);
    });

    it('without video.list or user.info.stats it reads nothing (and asks nothing), rather than failing the account', async () => {
      const openId = await emulator.upsertUser('tiktok', 'tt_unscoped');
      const tokens = await connect(emulator, tiktokAdapter, 'tt_unscoped', ['user.info.basic', 'video.publish']);
      const callsBefore = await queryCalls(emulator, '/tiktok/open/v2/video/query/');

      const counters = await metrics.readPosts(tiktokAdapter.http, tokens, { platformUserId: openId, handle: 'tt_unscoped' }, ['7123456789012345678', 'v_pub_file~v2.1']);

      assert.deepEqual(Object.fromEntries(counters), { '7123456789012345678': {}, 'v_pub_file~v2.1': {} });
      assert.equal(await queryCalls(emulator, '/tiktok/open/v2/video/query/'), callsBefore);
      assert.equal(await metrics.readFollowers(tiktokAdapter.http, tokens, { platformUserId: openId, handle: 'tt_unscoped' }), null);
    });

    it('a post known only by its publish_id is not measurable; a revoked grant is a credential failure', async () => {
      const openId = await emulator.upsertUser('tiktok', 'tt_revoked_metrics');
      const tokens = await connect(emulator, tiktokAdapter, 'tt_revoked_metrics', TIKTOK_SCOPES);
      const account = { platformUserId: openId, handle: 'tt_revoked_metrics' };
      assert.deepEqual(Object.fromEntries(await metrics.readPosts(tiktokAdapter.http, tokens, account, ['v_pub_url~v2.9'])), { 'v_pub_url~v2.9': {} });

      await emulator.revokeUser('tiktok', 'tt_revoked_metrics');
      await expectPlatformError(metrics.readPosts(tiktokAdapter.http, tokens, account, ['7123456789012345678']), { kind: 'needs_reauth', platformCode: 'access_token_invalid' });
      await expectPlatformError(metrics.readFollowers(tiktokAdapter.http, tokens, account), { kind: 'needs_reauth', platformCode: 'access_token_invalid' });
    });
  });

  describe('Instagram', () => {
    const metrics = instagram.metrics!;

    it('reads every insight set on the emulator, and followers_count', async () => {
      const userId = await emulator.upsertUser('instagram', 'ig_counted');
      await control(emulator, '/users/instagram/ig_counted', { followers: 5678 });
      const tokens = await connect(emulator, instagramAdapter, 'ig_counted', INSTAGRAM_SCOPES);
      const mediaId = await publishInstagram('ig_counted', tokens, userId, 'ig-m1.jpg');
      await control(emulator, `/published/instagram/ig_counted/${mediaId}/stats`, { views: 900, reach: 700, likes: 80, comments: 6, shares: 5, saves: 4 });
      const account = { platformUserId: userId, handle: 'ig_counted' };

      const counters = await metrics.readPosts(instagramAdapter.http, tokens, account, [mediaId, '17999999999999999']);

      assert.deepEqual(Object.fromEntries(counters), { [mediaId]: { views: 900, reach: 700, likes: 80, comments: 6, shares: 5, saves: 4 } });
      assert.equal(await metrics.readFollowers(instagramAdapter.http, tokens, account), 5678);
    });

    it('without the insights permission: likes and comments from the media itself', async () => {
      const userId = await emulator.upsertUser('instagram', 'ig_basic_metrics');
      const tokens = await connect(emulator, instagramAdapter, 'ig_basic_metrics', INSTAGRAM_SCOPES.slice(0, 2));
      const mediaId = await publishInstagram('ig_basic_metrics', tokens, userId, 'ig-m2.jpg');
      await control(emulator, `/published/instagram/ig_basic_metrics/${mediaId}/stats`, { views: 900, likes: 12, comments: 3 });

      const counters = await metrics.readPosts(instagramAdapter.http, tokens, { platformUserId: userId, handle: 'ig_basic_metrics' }, [mediaId]);

      assert.deepEqual(Object.fromEntries(counters), { [mediaId]: { likes: 12, comments: 3 } });
    });

    it('a revoked grant answers 190, a credential failure', async () => {
      const userId = await emulator.upsertUser('instagram', 'ig_revoked_metrics');
      const tokens = await connect(emulator, instagramAdapter, 'ig_revoked_metrics', INSTAGRAM_SCOPES);
      const mediaId = await publishInstagram('ig_revoked_metrics', tokens, userId, 'ig-m3.jpg');
      await emulator.revokeUser('instagram', 'ig_revoked_metrics', 458);
      const account = { platformUserId: userId, handle: 'ig_revoked_metrics' };

      await expectPlatformError(metrics.readPosts(instagramAdapter.http, tokens, account, [mediaId]), { kind: 'needs_reauth', platformCode: '190/458' });
      await expectPlatformError(metrics.readFollowers(instagramAdapter.http, tokens, account), { kind: 'needs_reauth', platformCode: '190/458' });
      assert.equal((await profile(emulator, 'instagram', 'ig_revoked_metrics')).length, 1);
    });
  });
});
