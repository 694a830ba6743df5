import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { accountRow, connectAccount, control, countGrants, runReauth } from '../social/helpers.ts';
import { api, fixtureSha, getPost, inMinutes, postEvents, postRows, postsContext, profile, publishUntilSettled, scheduled, uploadContainer, type PostsContext } from './helpers.ts';

const HOUR = 60 * 60_000;

/**
 * The story of the issue, without a browser: posts scheduled to a TikTok account whose grant is
 * revoked upstream wait for the reauth, then publish exactly once, in order; a post whose account is
 * not back within 24 hours of its time fails.
 */
for (const engine of engines) {
  describe(`held posts publish after the reauth (${engine})`, () => {
    let ctx: PostsContext;
    before(async () => {
      ctx = await postsContext(engine);
    });
    after(() => ctx.close());

    test('three posts wait for the reauth, then publish once each, in order; a fourth held past until fails', async () => {
      const username = 'held_story';
      await control(ctx, 'POST', `/users/tiktok/${username}`, {});
      const accountId = await connectAccount(ctx, ctx.tenantOf, ctx.projectId, 'tiktok', username);
      const media = ['video.mp4', 'video.mov', 'image.jpg'] as const;
      const ids: string[] = [];
      for (const [index, name] of media.entries()) {
        const container = await uploadContainer(ctx, [name], `Post ${index + 1}`);
        const [id] = await scheduled(ctx, container, inMinutes(ctx, 10 + index), [{ socialAccountId: accountId, mode: 'publish' }]);
        ids.push(id as string);
      }

      await control(ctx, 'POST', `/users/tiktok/${username}/revoke`, {});
      const refreshesBefore = await countGrants(ctx, 'tiktok', 'refresh_token');
      ctx.clock.advance(10 * 60_000 + 1_000);
      await ctx.publishing.runOnce();
      assert.equal((await countGrants(ctx, 'tiktok', 'refresh_token')) - refreshesBefore, 1, 'one forced refresh, no more');
      // The first attempt met the dead grant: one forced refresh could not mend it, so the account needs its person.
      const account = await accountRow(ctx, accountId);
      assert.equal(account.status, 'reauth_required');
      assert.equal((await ctx.database.db.selectFrom('webhook_events').select('id').where('type', '=', 'social_account.needs_reauth').execute()).length, 1);
      const first = await getPost(ctx, ids[0] as string);
      assert.equal(first.status, 'queued');
      assert.equal(first.lastError?.code, 'CREDENTIAL_INVALID');
      assert.equal(first.hold?.reason, 'CREDENTIAL_INVALID');
      assert.equal(first.hold?.until, new Date(Date.parse(first.scheduledFor) + 24 * HOUR).toISOString());

      ctx.clock.advance(3 * 60_000);
      const held = await publishUntilSettled(ctx, ids);
      for (const post of held) {
        assert.equal(post.status, 'queued');
        assert.equal(post.hold?.reason, 'CREDENTIAL_INVALID');
        assert.equal(post.lastError?.code, 'CREDENTIAL_INVALID');
        assert.equal((await postEvents(ctx, post.id, 'post.held')).length, 1, 'one post.held per post');
      }
      assert.deepEqual(await profile(ctx, 'tiktok', username), [], 'nothing was posted while the grant was dead');

      // The person comes back: the reauth's transaction releases the holds.
      const { callback } = await runReauth(ctx, ctx.tenantOf.secret, ctx.projectId, accountId, { username });
      assert.equal(callback.statusCode, 302, callback.body);
      assert.equal((await accountRow(ctx, accountId)).status, 'connected');
      for (const id of ids) assert.equal((await getPost(ctx, id)).hold, null);

      const published = await publishUntilSettled(ctx, ids);
      assert.deepEqual(published.map((post) => post.status), ['published', 'published', 'published']);
      assert.deepEqual(published.map((post) => post.lastError), [null, null, null]);
      const publishedAt = published.map((post) => post.publishedAt as string);
      assert.deepEqual([...publishedAt].sort(), publishedAt, 'published in scheduledFor order');
      for (const id of ids) assert.equal((await postEvents(ctx, id, 'post.published')).length, 1);

      const items = await profile(ctx, 'tiktok', username);
      assert.equal(items.length, 3, 'exactly three posts on the profile');
      const byId = new Map(items.map((item) => [item.externalId, item]));
      published.forEach((post, index) => {
        const item = byId.get(post.externalId as string);
        assert.ok(item, `post ${index + 1} is on the profile as ${post.externalId}`);
        assert.equal(item.caption, `Post ${index + 1}`);
        assert.deepEqual(item.mediaSha256, [fixtureSha(media[index] as (typeof media)[number])]);
      });
      // The profile lists posts in the order they appeared.
      assert.deepEqual(items.map((item) => item.caption), ['Post 1', 'Post 2', 'Post 3']);

      // Another revoke; the fourth post is held and nobody comes back within 24 hours of its time.
      await control(ctx, 'POST', `/users/tiktok/${username}/revoke`, {});
      const container = await uploadContainer(ctx, ['video.mp4'], 'Post 4');
      const [fourth] = await scheduled(ctx, container, inMinutes(ctx, 5), [{ socialAccountId: accountId, mode: 'publish' }]);
      ctx.clock.advance(6 * 60_000);
      const [waiting] = await publishUntilSettled(ctx, [fourth as string]);
      assert.equal(waiting?.hold?.reason, 'CREDENTIAL_INVALID');
      ctx.clock.advance(24 * HOUR);
      await ctx.periodicTasks.runOnce();
      const expired = await getPost(ctx, fourth as string);
      assert.equal(expired.status, 'failed');
      assert.equal(expired.hold, null);
      assert.equal(expired.lastError?.code, 'CREDENTIAL_INVALID');
      const failed = await postEvents(ctx, fourth as string, 'post.failed');
      assert.equal(failed.length, 1);
      assert.equal(failed[0]?.data['error']?.code, 'CREDENTIAL_INVALID');
      assert.equal((await profile(ctx, 'tiktok', username)).length, 3, 'the fourth never reached the profile');
    });

    test('a held post moved past the reauth waits for its new time; the ones already due go at once', async () => {
      const username = 'held_moved';
      await control(ctx, 'POST', `/users/tiktok/${username}`, {});
      const accountId = await connectAccount(ctx, ctx.tenantOf, ctx.projectId, 'tiktok', username);
      const ids: string[] = [];
      for (const index of [0, 1, 2]) {
        const container = await uploadContainer(ctx, ['image.jpg'], `Moved ${index + 1}`);
        const [id] = await scheduled(ctx, container, inMinutes(ctx, 10 + index), [{ socialAccountId: accountId, mode: 'publish' }]);
        ids.push(id as string);
      }
      await control(ctx, 'POST', `/users/tiktok/${username}/revoke`, {});
      ctx.clock.advance(13 * 60_000);
      for (const post of await publishUntilSettled(ctx, ids)) assert.equal(post.hold?.reason, 'CREDENTIAL_INVALID');
      // Held, the second post moves two hours ahead; it stays held, its hold now counting from then.
      const later = inMinutes(ctx, 120);
      const moved = await api(ctx, 'POST', `/v1/scheduled-posts/${ids[1]}/reschedule`, { scheduledFor: later });
      assert.equal(moved.statusCode, 200, moved.body);
      assert.equal(moved.json().hold?.until, new Date(Date.parse(later) + 24 * HOUR).toISOString());

      const { callback } = await runReauth(ctx, ctx.tenantOf.secret, ctx.projectId, accountId, { username });
      assert.equal(callback.statusCode, 302, callback.body);
      const released = new Map((await postRows(ctx)).filter((row) => ids.includes(row.id)).map((row) => [row.id, row]));
      const now = ctx.clock.now().toISOString();
      assert.deepEqual(
        ids.map((id) => [released.get(id)?.hold_since, released.get(id)?.last_error_code, released.get(id)?.next_attempt_at]),
        [[null, null, now], [null, null, later], [null, null, now]],
      );

      const due = await publishUntilSettled(ctx, [ids[0] as string, ids[2] as string]);
      assert.deepEqual(due.map((post) => post.status), ['published', 'published']);
      const waiting = await getPost(ctx, ids[1] as string);
      assert.equal(waiting.status, 'queued');
      assert.equal(waiting.hold, null);
      assert.deepEqual((await profile(ctx, 'tiktok', username)).map((item) => item.caption), ['Moved 1', 'Moved 3']);
      ctx.clock.advance(Date.parse(later) - ctx.clock.now().getTime() + 1_000);
      const [published] = await publishUntilSettled(ctx, [ids[1] as string]);
      assert.equal(published?.status, 'published');
      assert.deepEqual((await profile(ctx, 'tiktok', username)).map((item) => item.caption), ['Moved 1', 'Moved 3', 'Moved 2']);
    });

    test('holds that end together all fail in the run that finds them, more than a batch of them, one post.failed each', async () => {
      const { db } = ctx.database;
      const username = 'held_many';
      await control(ctx, 'POST', `/users/tiktok/${username}`, {});
      const accountId = await connectAccount(ctx, ctx.tenantOf, ctx.projectId, 'tiktok', username);
      const container = await uploadContainer(ctx, ['image.jpg'], 'Held together');
      const [first] = await scheduled(ctx, container, inMinutes(ctx, 5), [{ socialAccountId: accountId, mode: 'publish' }]);
      await control(ctx, 'POST', `/users/tiktok/${username}/revoke`, {});
      ctx.clock.advance(6 * 60_000);
      const [held] = await publishUntilSettled(ctx, [first as string]);
      assert.equal(held?.hold?.reason, 'CREDENTIAL_INVALID');
      // 449 more held like it, ending within the same minute.
      const row = await db.selectFrom('scheduled_posts').selectAll().where('id', '=', first as string).executeTakeFirstOrThrow();
      const copies = Array.from({ length: 449 }, (_, i) => ({ ...row, id: `sp_${randomUUID()}`, hold_until: new Date(Date.parse(row.hold_until as string) + (i % 50) * 1_000).toISOString() }));
      for (let start = 0; start < copies.length; start += 100) await db.insertInto('scheduled_posts').values(copies.slice(start, start + 100)).execute();
      const ids = [first as string, ...copies.map((copy) => copy.id)];

      ctx.clock.advance(24 * HOUR);
      await ctx.periodicTasks.runOnce();
      const rows = await db.selectFrom('scheduled_posts').select(['id', 'status', 'hold_until', 'last_error_code']).where('id', 'in', ids).execute();
      assert.equal(rows.length, 450);
      const notFailed = rows.filter((post) => post.status !== 'failed' || post.hold_until !== null || post.last_error_code !== 'CREDENTIAL_INVALID');
      assert.equal(notFailed.length, 0, `${notFailed.length} of 450 not failed, e.g. ${JSON.stringify(notFailed[0])}`);
      const failedEvents = await db.selectFrom('webhook_events').select('payload').where('type', '=', 'post.failed').execute();
      const failedIds = failedEvents.map((event) => JSON.parse(event.payload).data.scheduledPostId as string).filter((id) => ids.includes(id));
      assert.deepEqual(failedIds.sort(), [...ids].sort(), 'one post.failed per post');
    });
  });
}

for (const engine of engines) {
  describe(`one account's posts go one at a time, in order (${engine})`, () => {
    let ctx: PostsContext;
    before(async () => {
      ctx = await postsContext(engine);
    });
    after(() => ctx.close());

    test('a later post does not start while an earlier one of its account is still processing on the platform', async () => {
      const username = 'one_at_a_time';
      await control(ctx, 'POST', `/users/tiktok/${username}`, {});
      const accountId = await connectAccount(ctx, ctx.tenantOf, ctx.projectId, 'tiktok', username);
      const first = await uploadContainer(ctx, ['video.mp4'], 'First');
      const second = await uploadContainer(ctx, ['video.mov'], 'Second');
      const [early] = await scheduled(ctx, first, inMinutes(ctx, 1), [{ socialAccountId: accountId, mode: 'publish' }]);
      const [late] = await scheduled(ctx, second, inMinutes(ctx, 2), [{ socialAccountId: accountId, mode: 'publish' }]);
      // The first video takes TikTok ten minutes to process; the second would be quick.
      await control(ctx, 'POST', `/users/tiktok/${username}/processing`, { delaySeconds: 600 });
      ctx.clock.advance(61_000);
      await ctx.publishing.runOnce();
      assert.equal((await getPost(ctx, early as string)).status, 'publishing');
      await control(ctx, 'POST', `/users/tiktok/${username}/processing`, { delaySeconds: 0 });
      ctx.clock.advance(60_000);
      await ctx.publishing.runOnce();
      const waiting = await getPost(ctx, late as string);
      assert.equal(waiting.status, 'queued', 'the second waits for the first');
      assert.equal(waiting.attempts, 0);

      const posts = await publishUntilSettled(ctx, [early as string, late as string], { stepMs: 30_000 });
      assert.deepEqual(posts.map((post) => post.status), ['published', 'published']);
      assert.ok((posts[0]?.publishedAt as string) <= (posts[1]?.publishedAt as string));
      const items = await profile(ctx, 'tiktok', username);
      // The profile lists posts in the order they appeared.
      assert.deepEqual(items.map((item) => item.caption), ['First', 'Second']);
    });
  });
}
