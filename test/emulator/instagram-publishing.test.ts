import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildEmulator } from '../../src/emulator/app.ts';
import { fixture, sha256, startMediaServer, type MediaServer } from '../platforms/publish-driver.ts';
import { instagramAuthorizeUrl, instagramCodeExchange, instagramLongLived, submitConsent } from './consent-driver.ts';

type Emulator = ReturnType<typeof buildEmulator>;
const photo = fixture('photo-1.jpg');
const clip = fixture('clip.mp4');
const PUBLISH = 'instagram_business_basic,instagram_business_content_publish';

interface GraphErrorBody {
  error: { code: number; error_subcode?: number; type: string; message: string; fbtrace_id: string };
}

/** A long-lived token for `username` with `scope`, and the account's id. */
async function connect(app: Emulator, username: string, scope = PUBLISH): Promise<{ token: string; userId: string }> {
  const callback = await submitConsent(app, instagramAuthorizeUrl({ scope }), { username });
  const exchanged = await app.inject(instagramCodeExchange(callback.searchParams.get('code') ?? ''));
  const token = await instagramLongLived(app, exchanged.json<{ access_token: string }>().access_token);
  const me = await app.inject({ method: 'GET', url: `/instagram/graph/me?fields=user_id`, headers: { authorization: `Bearer ${token}` } });
  return { token, userId: me.json<{ user_id: string }>().user_id };
}

function graph(app: Emulator, token: string, method: 'GET' | 'POST', path: string, params: Record<string, string> = {}) {
  const query = new URLSearchParams(params);
  return app.inject(
    method === 'GET'
      ? { method, url: `/instagram/graph${path}?${query}`, headers: { authorization: `Bearer ${token}` } }
      : { method, url: `/instagram/graph${path}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, payload: query.toString() },
  );
}

describe('Instagram content publishing emulator', () => {
  let media: MediaServer;
  before(async () => {
    media = await startMediaServer();
  });
  after(() => media.close());

  it('container → FINISHED → media_publish → PUBLISHED, once; the limit counts it', async () => {
    const app = buildEmulator();
    const { token, userId } = await connect(app, 'ig_flow');
    const created = await graph(app, token, 'POST', `/v21.0/${userId}/media`, { image_url: media.serve('flow.jpg', photo, 'image/jpeg'), caption: 'Hello' });
    const containerId = created.json<{ id: string }>().id;
    assert.match(containerId, /^\d{17}$/);
    assert.deepEqual((await graph(app, token, 'GET', `/${containerId}`, { fields: 'status_code' })).json(), { id: containerId, status_code: 'FINISHED' });

    const publishedAnswer = await graph(app, token, 'POST', `/${userId}/media_publish`, { creation_id: containerId });
    const mediaId = publishedAnswer.json<{ id: string }>().id;
    assert.equal(publishedAnswer.statusCode, 200);
    assert.equal((await graph(app, token, 'GET', `/${containerId}`, { fields: 'status_code' })).json<{ status_code: string }>().status_code, 'PUBLISHED');

    const again = await graph(app, token, 'POST', `/${userId}/media_publish`, { creation_id: containerId });
    assert.equal(again.statusCode, 400);
    assert.equal(again.json<GraphErrorBody>().error.code, 100);

    const mediaFields = (await graph(app, token, 'GET', `/v21.0/${mediaId}`, { fields: 'permalink,media_type,media_product_type,caption' })).json<Record<string, string>>();
    assert.deepEqual([mediaFields['media_type'], mediaFields['media_product_type'], mediaFields['caption']], ['IMAGE', 'FEED', 'Hello']);
    assert.match(mediaFields['permalink'] ?? '', /^https:\/\/www\.instagram\.com\/p\/\w{11}\/$/);
    assert.deepEqual((await graph(app, token, 'GET', `/${userId}/content_publishing_limit`, { fields: 'quota_usage,config' })).json(), {
      data: [{ quota_usage: 1, config: { quota_total: 100, quota_duration: 86400 } }],
    });
    const listing = (await app.inject({ method: 'GET', url: '/_control/published/instagram/ig_flow' })).json<{ items: Array<{ externalId: string; mediaSha256: string[] }> }>();
    assert.deepEqual(listing.items.map((item) => [item.externalId, item.mediaSha256]), [[mediaId, [sha256(photo)]]]);
    const me = (await graph(app, token, 'GET', '/me', { fields: 'media_count,followers_count' })).json<{ media_count: number; followers_count: number }>();
    assert.deepEqual([me.media_count, me.followers_count], [1, 0]);
  });

  it('publishing before FINISHED answers 9007/2207027; a reel stays IN_PROGRESS for the processing time', async () => {
    const app = buildEmulator();
    const { token, userId } = await connect(app, 'ig_slow');
    await app.inject({ method: 'POST', url: '/_control/users/instagram/ig_slow/processing', payload: { delaySeconds: 60 } });
    const containerId = (await graph(app, token, 'POST', `/${userId}/media`, { media_type: 'REELS', video_url: media.serve('slow.mp4', clip, 'video/mp4') })).json<{ id: string }>().id;

    assert.equal((await graph(app, token, 'GET', `/${containerId}`, { fields: 'status_code' })).json<{ status_code: string }>().status_code, 'IN_PROGRESS');
    const early = await graph(app, token, 'POST', `/${userId}/media_publish`, { creation_id: containerId });
    assert.deepEqual([early.statusCode, early.json<GraphErrorBody>().error.code, early.json<GraphErrorBody>().error.error_subcode], [400, 9007, 2207027]);

    await app.inject({ method: 'POST', url: '/_control/clock', payload: { advanceSeconds: 61 } });
    assert.equal((await graph(app, token, 'POST', `/${userId}/media_publish`, { creation_id: containerId })).statusCode, 200);
  });

  it('carousels take 2–10 finished children of the same account', async () => {
    const app = buildEmulator();
    const { token, userId } = await connect(app, 'ig_carousel_rules');
    const child = async (name: string) =>
      (await graph(app, token, 'POST', `/${userId}/media`, { image_url: media.serve(name, photo, 'image/jpeg'), is_carousel_item: 'true' })).json<{ id: string }>().id;
    const one = await child('one.jpg');
    const two = await child('two.jpg');

    const single = await graph(app, token, 'POST', `/${userId}/media`, { media_type: 'CAROUSEL', children: one });
    assert.equal(single.json<GraphErrorBody>().error.code, 100);
    const unknown = await graph(app, token, 'POST', `/${userId}/media`, { media_type: 'CAROUSEL', children: `${one},18000000000000000` });
    assert.deepEqual([unknown.json<GraphErrorBody>().error.code, unknown.json<GraphErrorBody>().error.error_subcode], [24, 2207008]);
    const childPublish = await graph(app, token, 'POST', `/${userId}/media_publish`, { creation_id: one });
    assert.equal(childPublish.statusCode, 400, 'a carousel item is not published on its own');
    assert.equal((await graph(app, token, 'POST', `/${userId}/media`, { media_type: 'CAROUSEL', children: `${one},${two}`, caption: 'C' })).statusCode, 200);
  });

  it('comments and insights need their permissions (code 10); unknown metrics and fields are code 100', async () => {
    const app = buildEmulator();
    const { token, userId } = await connect(app, 'ig_perms');
    const containerId = (await graph(app, token, 'POST', `/${userId}/media`, { image_url: media.serve('perms.jpg', photo, 'image/jpeg') })).json<{ id: string }>().id;
    const mediaId = (await graph(app, token, 'POST', `/${userId}/media_publish`, { creation_id: containerId })).json<{ id: string }>().id;

    const comment = await graph(app, token, 'POST', `/${mediaId}/comments`, { message: 'hi' });
    assert.deepEqual([comment.statusCode, comment.json<GraphErrorBody>().error.code], [403, 10]);
    const insights = await graph(app, token, 'GET', `/${mediaId}/insights`, { metric: 'reach' });
    assert.deepEqual([insights.statusCode, insights.json<GraphErrorBody>().error.code], [403, 10]);
    assert.equal((await graph(app, token, 'GET', `/${mediaId}`, { fields: 'plays' })).json<GraphErrorBody>().error.code, 100);

    const full = await connect(app, 'ig_perms', `${PUBLISH},instagram_business_manage_comments,instagram_business_manage_insights`);
    assert.equal((await graph(app, full.token, 'POST', `/${mediaId}/comments`, { message: 'hi' })).statusCode, 200);
    const comments = (await graph(app, full.token, 'GET', `/${mediaId}/comments`, { fields: 'id,text,username' })).json<{ data: Array<{ text: string; username: string }> }>();
    assert.deepEqual(comments.data.map((entry) => [entry.text, entry.username]), [['hi', 'ig_perms']]);
    await app.inject({ method: 'POST', url: `/_control/published/instagram/ig_perms/${mediaId}/stats`, payload: { reach: 31, saves: 2 } });
    const read = (await graph(app, full.token, 'GET', `/${mediaId}/insights`, { metric: 'reach,saved' })).json<{ data: Array<{ name: string; period: string; values: Array<{ value: number }> }> }>();
    assert.deepEqual(read.data.map((entry) => [entry.name, entry.period, entry.values[0]?.value]), [['reach', 'lifetime', 31], ['saved', 'lifetime', 2]]);
    assert.equal((await graph(app, full.token, 'GET', `/${mediaId}/insights`, { metric: 'impressions' })).json<GraphErrorBody>().error.code, 100);
  });

  it('refuses what Meta refuses: an unreachable URL (9004/2207052), a revoked token (190), another account\'s id', async () => {
    const app = buildEmulator();
    const { token, userId } = await connect(app, 'ig_refusals');
    const other = await connect(app, 'ig_other');

    const unreachable = await graph(app, token, 'POST', `/${userId}/media`, { image_url: `${media.url}/nothing.jpg` });
    assert.deepEqual([unreachable.json<GraphErrorBody>().error.code, unreachable.json<GraphErrorBody>().error.error_subcode], [9004, 2207052]);
    const foreign = await graph(app, token, 'POST', `/${other.userId}/media`, { image_url: media.serve('foreign.jpg', photo, 'image/jpeg') });
    assert.deepEqual([foreign.statusCode, foreign.json<GraphErrorBody>().error.code], [400, 100]);

    await app.inject({ method: 'POST', url: '/_control/users/instagram/ig_refusals/revoke', payload: { subcode: 460 } });
    const revoked = await graph(app, token, 'POST', `/${userId}/media`, { image_url: media.serve('revoked.jpg', photo, 'image/jpeg') });
    assert.deepEqual([revoked.statusCode, revoked.json<GraphErrorBody>().error.code, revoked.json<GraphErrorBody>().error.error_subcode], [400, 190, 460]);
  });

  it('a publish fault answers the creator\'s next call to that step, then the emulator behaves again', async () => {
    const app = buildEmulator();
    const { token, userId } = await connect(app, 'ig_faulty');
    await app.inject({ method: 'POST', url: '/_control/users/instagram/ig_faulty/publish-faults', payload: { step: 'container', status: 500 } });

    const failed = await graph(app, token, 'POST', `/${userId}/media`, { image_url: media.serve('faulty.jpg', photo, 'image/jpeg') });
    assert.deepEqual([failed.statusCode, failed.json<GraphErrorBody>().error.code], [500, 1]);
    assert.equal((await graph(app, token, 'POST', `/${userId}/media`, { image_url: media.serve('faulty.jpg', photo, 'image/jpeg') })).statusCode, 200);
  });
});
