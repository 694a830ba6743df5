import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildEmulator } from '../../src/emulator/app.ts';
import { fixture, sha256, startMediaServer, type MediaServer } from '../platforms/publish-driver.ts';
import { connectTikTok } from './consent-driver.ts';

type Emulator = ReturnType<typeof buildEmulator>;
const PUBLISH_SCOPES = 'user.info.basic,video.publish,video.upload,video.list';
const MB = 1024 * 1024;
const clip = fixture('clip.mp4');

interface Envelope<T> {
  data: T;
  error: { code: string; message: string; log_id: string };
}

function api<T = Record<string, unknown>>(app: Emulator, token: string, path: string, payload: unknown = {}) {
  return app
    .inject({ method: 'POST', url: `/tiktok/open${path}`, headers: { authorization: `Bearer ${token}` }, payload: payload as object })
    .then((response) => ({ status: response.statusCode, body: response.json<Envelope<T>>(), text: response.body }));
}

function fileInit(size: number, chunk: number, count: number) {
  return { post_info: { title: 'T', privacy_level: 'SELF_ONLY' }, source_info: { source: 'FILE_UPLOAD', video_size: size, chunk_size: chunk, total_chunk_count: count } };
}

/** The path and query of an upload_url, to PUT through inject. */
function uploadPath(uploadUrl: string): string {
  const url = new URL(uploadUrl);
  return `${url.pathname}${url.search}`;
}

function put(app: Emulator, uploadUrl: string, bytes: Buffer, range: string, contentType = 'video/mp4') {
  return app.inject({ method: 'PUT', url: uploadPath(uploadUrl), headers: { 'content-type': contentType, 'content-range': range }, payload: bytes });
}

describe('TikTok Content Posting emulator', () => {
  let media: MediaServer;
  before(async () => {
    media = await startMediaServer();
  });
  after(() => media.close());

  it('creator info lists the privacy levels of a public and of a private account', async () => {
    const app = buildEmulator();
    const open = await connectTikTok(app, 'open_account', PUBLISH_SCOPES);
    await app.inject({ method: 'POST', url: '/_control/users/tiktok/closed_account', payload: { privateAccount: true } });
    const closed = await connectTikTok(app, 'closed_account', PUBLISH_SCOPES);

    const publicInfo = await api<{ privacy_level_options: string[]; creator_username: string; max_video_post_duration_sec: number }>(app, open.access_token, '/v2/post/publish/creator_info/query/');
    const privateInfo = await api<{ privacy_level_options: string[] }>(app, closed.access_token, '/v2/post/publish/creator_info/query/');

    assert.equal(publicInfo.body.error.code, 'ok');
    assert.deepEqual(publicInfo.body.data.privacy_level_options, ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY']);
    assert.equal(publicInfo.body.data.creator_username, 'open_account');
    assert.equal(publicInfo.body.data.max_video_post_duration_sec, 600);
    assert.deepEqual(privateInfo.body.data.privacy_level_options, ['FOLLOWER_OF_CREATOR', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY']);
  });

  it('needs video.publish for creator info and direct posts, and a live token', async () => {
    const app = buildEmulator();
    const basic = await connectTikTok(app, 'no_publish', 'user.info.basic');
    const unscoped = await api(app, basic.access_token, '/v2/post/publish/creator_info/query/');
    assert.deepEqual([unscoped.status, unscoped.body.error.code], [401, 'scope_not_authorized']);

    const tokens = await connectTikTok(app, 'revoked_poster', PUBLISH_SCOPES);
    await app.inject({ method: 'POST', url: '/_control/users/tiktok/revoked_poster/revoke' });
    const revoked = await api(app, tokens.access_token, '/v2/post/publish/video/init/', fileInit(clip.length, clip.length, 1));
    assert.deepEqual([revoked.status, revoked.body.error.code], [401, 'access_token_invalid']);
  });

  it('holds video inits to the chunk rules: under 5 MB whole, chunks of 5–64 MB, floor(size / chunk) of them', async () => {
    const app = buildEmulator();
    const { access_token: token } = await connectTikTok(app, 'chunk_rules', PUBLISH_SCOPES);
    const init = (size: number, chunk: number, count: number) => api(app, token, '/v2/post/publish/video/init/', fileInit(size, chunk, count));

    for (const [size, chunk, count] of [
      [3 * MB, 1 * MB, 3], // under 5 MB: one chunk
      [20 * MB, 4 * MB, 5], // chunks under 5 MB
      [200 * MB, 100 * MB, 2], // chunks over 64 MB
      [25 * MB, 10 * MB, 3], // floor(25 / 10) is 2
      [200 * MB, 5 * MB, 40 + 1],
    ] as const) {
      const refused = await init(size, chunk, count);
      assert.deepEqual([refused.status, refused.body.error.code], [400, 'invalid_param'], `${size}/${chunk}/${count}`);
    }
    const accepted = await init(25 * MB, 10 * MB, 2);
    assert.equal(accepted.status, 200);
    const data = accepted.body.data as { publish_id: string; upload_url: string };
    assert.match(data.publish_id, /^v_pub_file~v2\.\d+$/);
    assert.match(data.upload_url, /^http:\/\/localhost:80\/tiktok\/upload\/video\/\?upload_id=\d+&upload_token=\w+$/);
  });

  it('takes chunks in order with Content-Range: 206, then 201; refuses the rest with 400, 416, 403 and 404', async () => {
    const app = buildEmulator({ tiktok: { minChunkBytes: 4096 } });
    const { access_token: token } = await connectTikTok(app, 'uploader', PUBLISH_SCOPES);
    const init = await api<{ publish_id: string; upload_url: string }>(app, token, '/v2/post/publish/video/init/', fileInit(clip.length, 16384, 2));
    const { upload_url: uploadUrl, publish_id: publishId } = init.body.data;
    const first = clip.subarray(0, 16384);
    const rest = clip.subarray(16384);
    const status = () => api<{ status: string; uploaded_bytes: number }>(app, token, '/v2/post/publish/status/fetch/', { publish_id: publishId });

    assert.equal((await put(app, uploadUrl, first, `bytes 0-16383/${clip.length}`, 'image/jpeg')).statusCode, 400);
    assert.equal((await put(app, uploadUrl, first, `bytes 0-16383/999`)).statusCode, 400);
    assert.equal((await put(app, uploadUrl, first.subarray(1), `bytes 0-16383/${clip.length}`)).statusCode, 400);
    assert.equal((await put(app, uploadUrl, rest, `bytes 16384-${clip.length - 1}/${clip.length}`)).statusCode, 416, 'the second chunk first');
    assert.equal((await put(app, uploadUrl, first, `bytes 0-16383/${clip.length}`)).statusCode, 206);
    assert.deepEqual([(await status()).body.data.status, (await status()).body.data.uploaded_bytes], ['PROCESSING_UPLOAD', 16384]);
    assert.equal((await put(app, uploadUrl, first, `bytes 0-16383/${clip.length}`)).statusCode, 416, 'the first chunk again');
    assert.equal((await put(app, uploadUrl, rest, `bytes 16384-${clip.length - 1}/${clip.length}`)).statusCode, 201);

    const done = await status();
    assert.equal(done.body.data.status, 'PUBLISH_COMPLETE');
    // The public post id is a bare int64 in the JSON text, as TikTok sends it.
    assert.match(done.text, /"publicaly_available_post_id":\[7\d{18}\]/);
    const listing = (await app.inject({ method: 'GET', url: '/_control/published/tiktok/uploader' })).json<{ items: Array<{ mediaSha256: string[]; externalId: string }> }>();
    assert.deepEqual(listing.items.map((item) => item.mediaSha256), [[sha256(clip)]]);
    assert.ok(done.text.includes(listing.items[0]?.externalId ?? 'missing'));

    const unknown = await app.inject({ method: 'PUT', url: '/tiktok/upload/video/?upload_id=1&upload_token=nope', headers: { 'content-type': 'video/mp4', 'content-range': 'bytes 0-0/1' }, payload: Buffer.from([0]) });
    assert.equal(unknown.statusCode, 404);
  });

  it('upload URLs expire after an hour (403)', async () => {
    const app = buildEmulator();
    const { access_token: token } = await connectTikTok(app, 'late_uploader', PUBLISH_SCOPES);
    const init = await api<{ upload_url: string }>(app, token, '/v2/post/publish/video/init/', fileInit(clip.length, clip.length, 1));
    await app.inject({ method: 'POST', url: '/_control/clock', payload: { advanceSeconds: 3601 } });

    assert.equal((await put(app, init.body.data.upload_url, clip, `bytes 0-${clip.length - 1}/${clip.length}`)).statusCode, 403);
  });

  it('pulls from the URL itself; an unreachable one ends FAILED video_pull_failed', async () => {
    const app = buildEmulator();
    const { access_token: token } = await connectTikTok(app, 'puller', PUBLISH_SCOPES);
    const pull = (url: string) => api<{ publish_id: string }>(app, token, '/v2/post/publish/video/init/', { post_info: { title: 'P', privacy_level: 'SELF_ONLY' }, source_info: { source: 'PULL_FROM_URL', video_url: url } });
    const status = (publishId: string) => api<{ status: string; fail_reason?: string; downloaded_bytes: number }>(app, token, '/v2/post/publish/status/fetch/', { publish_id: publishId });

    const good = await pull(media.serve('emulator-pull.mp4', clip, 'video/mp4'));
    const bad = await pull(`${media.url}/missing.mp4`);

    const pulled = await status(good.body.data.publish_id);
    assert.deepEqual([pulled.body.data.status, pulled.body.data.downloaded_bytes], ['PUBLISH_COMPLETE', clip.length]);
    assert.ok(media.fetches.includes('/emulator-pull.mp4'));
    assert.deepEqual((await status(bad.body.data.publish_id)).body.data, { status: 'FAILED', fail_reason: 'video_pull_failed', publicaly_available_post_id: [], downloaded_bytes: 0 });
  });

  it('refuses a privacy level the creator does not offer, and another creator\'s publish_id', async () => {
    const app = buildEmulator();
    await app.inject({ method: 'POST', url: '/_control/users/tiktok/private_one', payload: { privateAccount: true } });
    const owner = await connectTikTok(app, 'private_one', PUBLISH_SCOPES);
    const stranger = await connectTikTok(app, 'stranger', PUBLISH_SCOPES);

    const mismatch = await api(app, owner.access_token, '/v2/post/publish/video/init/', {
      post_info: { privacy_level: 'PUBLIC_TO_EVERYONE' },
      source_info: { source: 'FILE_UPLOAD', video_size: clip.length, chunk_size: clip.length, total_chunk_count: 1 },
    });
    assert.deepEqual([mismatch.status, mismatch.body.error.code], [403, 'privacy_level_option_mismatch']);

    const init = await api<{ publish_id: string }>(app, owner.access_token, '/v2/post/publish/inbox/video/init/', { source_info: { source: 'FILE_UPLOAD', video_size: clip.length, chunk_size: clip.length, total_chunk_count: 1 } });
    const foreign = await api(app, stranger.access_token, '/v2/post/publish/status/fetch/', { publish_id: init.body.data.publish_id });
    assert.deepEqual([foreign.status, foreign.body.error.code], [400, 'token_not_authorized_for_specified_publish_id']);
    const unknown = await api(app, owner.access_token, '/v2/post/publish/status/fetch/', { publish_id: 'v_pub_file~v2.0' });
    assert.deepEqual([unknown.status, unknown.body.error.code], [400, 'invalid_publish_id']);
  });

  it('caps pending inbox shares (spam_risk_too_many_pending_share)', async () => {
    const app = buildEmulator({ tiktok: { pendingShareCap: 1 } });
    const { access_token: token } = await connectTikTok(app, 'sharer', PUBLISH_SCOPES);
    const inbox = () => api(app, token, '/v2/post/publish/inbox/video/init/', { source_info: { source: 'FILE_UPLOAD', video_size: clip.length, chunk_size: clip.length, total_chunk_count: 1 } });

    assert.equal((await inbox()).status, 200);
    const refused = await inbox();
    assert.deepEqual([refused.status, refused.body.error.code], [403, 'spam_risk_too_many_pending_share']);
  });

  it('video/query: the creator\'s own posts only, at most 20 ids, with video.list', async () => {
    const app = buildEmulator({ tiktok: { minChunkBytes: 4096 } });
    const { access_token: token } = await connectTikTok(app, 'queried', PUBLISH_SCOPES);
    const { access_token: unscoped } = await connectTikTok(app, 'queried_basic', 'user.info.basic,video.publish');
    const query = (accessToken: string, ids: string[]) =>
      app.inject({ method: 'POST', url: '/tiktok/open/v2/video/query/?fields=id,view_count,like_count', headers: { authorization: `Bearer ${accessToken}` }, payload: { filters: { video_ids: ids } } });

    assert.equal((await query(token, Array.from({ length: 21 }, (_, index) => String(index)))).json<Envelope<unknown>>().error.code, 'invalid_params');
    assert.equal((await query(unscoped, ['1'])).statusCode, 401);
    const empty = await query(token, ['7000000000000000001']);
    assert.deepEqual(empty.json<Envelope<{ videos: unknown[] }>>().data.videos, []);
  });
});

describe('control: publishing hooks', () => {
  it('validates publish-fault steps per platform and processing settings', async () => {
    const app = buildEmulator();
    const badStep = await app.inject({ method: 'POST', url: '/_control/users/tiktok/someone/publish-faults', payload: { step: 'media_publish', status: 500 } });
    assert.equal(badStep.statusCode, 400);
    assert.match(badStep.json<{ message: string }>().message, /creator_info, init, upload, status, video_query/);
    assert.equal((await app.inject({ method: 'POST', url: '/_control/users/instagram/someone/publish-faults', payload: { step: 'publish', status: 500 } })).statusCode, 200);
    assert.equal((await app.inject({ method: 'POST', url: '/_control/users/tiktok/someone/publish-faults', payload: { step: 'processing', reason: 'internal', times: 2 } })).statusCode, 200);
    assert.equal((await app.inject({ method: 'POST', url: '/_control/users/tiktok/someone/processing', payload: { delaySeconds: -1 } })).statusCode, 400);
    assert.deepEqual((await app.inject({ method: 'POST', url: '/_control/users/tiktok/someone/processing', payload: { delaySeconds: 5 } })).json(), { delaySeconds: 5, publicIdDelaySeconds: 0 });
  });

  it('keeps a user\'s followers when only the account type changes, and 404s stats for an unknown post', async () => {
    const app = buildEmulator();
    await app.inject({ method: 'POST', url: '/_control/users/instagram/counted', payload: { followers: 42 } });
    const changed = await app.inject({ method: 'POST', url: '/_control/users/instagram/counted', payload: { accountType: 'CREATOR' } });
    assert.deepEqual([changed.json<{ followers: number; accountType: string }>().followers, changed.json<{ accountType: string }>().accountType], [42, 'CREATOR']);

    const stats = await app.inject({ method: 'POST', url: '/_control/published/instagram/counted/17000000000000000/stats', payload: { views: 1 } });
    assert.equal(stats.statusCode, 404);
    assert.deepEqual((await app.inject({ method: 'GET', url: '/_control/published/instagram/counted' })).json(), { items: [] });
    const negative = await app.inject({ method: 'POST', url: '/_control/published/instagram/counted/1/stats', payload: { views: -1 } });
    assert.equal(negative.statusCode, 400);
  });
});
