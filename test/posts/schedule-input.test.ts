import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { expectError, expectIssuePaths, newProject } from '../social/helpers.ts';
import { api, connect, inMinutes, postsContext, publishUntilSettled, schedule, scheduled, uploadContainer, type Post, type PostsContext } from './helpers.ts';

/** What a refused request must leave untouched: posts, kept schedule requests, events. */
async function writes(ctx: PostsContext): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['scheduled_posts', 'pending_schedules', 'webhook_events'] as const) {
    const row = await ctx.database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  const updated = await ctx.database.db.selectFrom('scheduled_posts').select((eb) => eb.fn.max('updated_at').as('at')).executeTakeFirstOrThrow();
  counts['lastUpdate'] = updated.at ? Date.parse(String(updated.at)) : 0;
  return counts;
}

for (const engine of engines) {
  describe(`scheduling: input, states and listing (${engine})`, () => {
    let ctx: PostsContext;
    let tiktok: string;
    let instagram: string;
    let video: string;
    let photo: string;
    let webp: string;
    before(async () => {
      ctx = await postsContext(engine);
      tiktok = (await connect(ctx, 'tiktok', 'tt_input')).id;
      instagram = (await connect(ctx, 'instagram', 'ig_input')).id;
      video = await uploadContainer(ctx, ['video.mp4'], 'A video');
      photo = await uploadContainer(ctx, ['image.jpg'], 'A photo');
      webp = await uploadContainer(ctx, ['image.webp'], 'A WebP');
    });
    after(() => ctx.close());

    /** Asserts the request is refused with these issue paths and that nothing was written. */
    async function refusedWith(containerId: string, targets: object[], paths: string[], scheduledFor = inMinutes(ctx, 10)): Promise<void> {
      const before = await writes(ctx);
      const res = await schedule(ctx, containerId, scheduledFor, targets);
      assert.deepEqual(expectIssuePaths(res), paths, res.body);
      assert.deepEqual(await writes(ctx), before, 'nothing written');
    }

    test('every target rule answers 422 naming the target index and field; one bad target and no post is written', async () => {
      const ok = { socialAccountId: tiktok, mode: 'publish' };
      await refusedWith(video, [ok, { socialAccountId: instagram, mode: 'managed' }], ['targets.1.mode']);
      await refusedWith(photo, [{ socialAccountId: instagram, mode: 'draft' }], ['targets.0.mode']);
      await refusedWith(photo, [{ socialAccountId: instagram, mode: 'publish', tiktokPostSettings: { privacyLevel: 'SELF_ONLY' } }], ['targets.0.tiktokPostSettings']);
      await refusedWith(photo, [{ socialAccountId: instagram, mode: 'publish', tiktokMusic: { mode: 'none' } }], ['targets.0.tiktokMusic']);
      await refusedWith(video, [ok, { socialAccountId: instagram, mode: 'publish', firstCommentOverride: 'fine' }, { ...ok }], ['targets.2.socialAccountId']);
      await refusedWith(video, [{ ...ok, firstCommentOverride: 'TikTok has none' }], ['targets.0.firstCommentOverride']);
      await refusedWith(video, [{ ...ok, mode: 'draft', tiktokMusic: { mode: 'none' } }], ['targets.0.tiktokMusic']);
      await refusedWith(video, [{ ...ok, tiktokMusic: { mode: 'manual', trackId: 't1' } }], ['targets.0.tiktokMusic.mode']);
      await refusedWith(video, [{ ...ok, tiktokMusic: { mode: 'auto' } }], ['targets.0.tiktokMusic.mode']);
      await refusedWith(video, [{ ...ok, shareReelToFeed: true }], ['targets.0.shareReelToFeed']);
      await refusedWith(photo, [{ socialAccountId: instagram, mode: 'publish', shareReelToFeed: true }], ['targets.0.shareReelToFeed']);
      await refusedWith(video, [{ ...ok, tiktokPostSettings: { privacyLevel: 'SELF_ONLY', isBrandedContent: true } }], ['targets.0.tiktokPostSettings.privacyLevel']);
      await refusedWith(video, [{ ...ok, captionOverride: 'x'.repeat(2201) }], ['targets.0.captionOverride']);
      await refusedWith(video, [{ ...ok, captionOverride: 'x'.repeat(4001) }], ['targets.0.captionOverride']);
      // A platformFit problem (Instagram takes JPEG only) refuses the target on its account.
      await refusedWith(webp, [{ socialAccountId: tiktok, mode: 'publish' }, { socialAccountId: instagram, mode: 'publish' }], ['targets.1.socialAccountId']);
      // The schema's own rules: strict bodies, 1–50 targets, the sa_ form.
      await refusedWith(video, [{ ...ok, extra: 1 }], ['targets.0.extra']);
      await refusedWith(video, [], ['targets']);
      await refusedWith(video, Array.from({ length: 51 }, () => ok), ['targets']);
      await refusedWith(video, [{ socialAccountId: 'not-an-id', mode: 'publish' }], ['targets.0.socialAccountId']);
      // Several problems: every one is listed.
      await refusedWith(video, [{ ...ok, shareReelToFeed: true }, { socialAccountId: instagram, mode: 'draft' }], ['targets.0.shareReelToFeed', 'targets.1.mode']);
    });

    test('an account of another project, another organization or disconnected: 422 on its socialAccountId', async () => {
      const otherProject = await newProject(ctx, ctx.tenantOf.secret, 'Elsewhere');
      const elsewhere = (await connect(ctx, 'tiktok', 'tt_elsewhere', { projectId: otherProject })).id;
      const gone = (await connect(ctx, 'tiktok', 'tt_gone')).id;
      assert.equal((await api(ctx, 'DELETE', `/v1/social-accounts/${gone}`)).statusCode, 200);
      const foreign = await ctx.tenant({ orgName: 'Foreign' });
      const foreignProject = await newProject(ctx, foreign.secret, 'Theirs');
      const theirs = await (async () => {
        const saved = ctx.tenantOf;
        ctx.tenantOf = foreign;
        try {
          return (await connect(ctx, 'tiktok', 'tt_foreign', { projectId: foreignProject })).id;
        } finally {
          ctx.tenantOf = saved;
        }
      })();
      for (const id of [elsewhere, gone, theirs]) await refusedWith(video, [{ socialAccountId: tiktok, mode: 'publish' }, { socialAccountId: id, mode: 'publish' }], ['targets.1.socialAccountId']);
    });

    test('another organization’s container is 404; a malformed one 400; nothing written', async () => {
      const foreign = await ctx.tenant({ orgName: 'Foreign 2' });
      const before = await writes(ctx);
      const targets = [{ socialAccountId: tiktok, mode: 'publish' }];
      expectError(await api(ctx, 'POST', `/v1/content/${video}/schedule`, { scheduledFor: inMinutes(ctx, 5), targets }, undefined, foreign.secret), 404, 'NOT_FOUND');
      expectError(await api(ctx, 'POST', `/v1/content/${video}/publish`, { targets }, undefined, foreign.secret), 404, 'NOT_FOUND');
      expectError(await api(ctx, 'POST', '/v1/content/nope/schedule', { scheduledFor: inMinutes(ctx, 5), targets }), 400, 'VALIDATION');
      assert.deepEqual(await writes(ctx), before);
    });

    test('scheduledFor: in the past → 422 on scheduledFor (30 s of skew tolerated); a time zone is required', async () => {
      const targets = [{ socialAccountId: tiktok, mode: 'publish' }];
      await refusedWith(video, targets, ['scheduledFor'], new Date(ctx.clock.now().getTime() - 31_000).toISOString());
      await refusedWith(video, targets, ['scheduledFor'], '2030-01-01T00:00:00');
      const skewed = await schedule(ctx, video, new Date(ctx.clock.now().getTime() - 29_000).toISOString(), targets);
      assert.equal(skewed.statusCode, 201, skewed.body);
      const offset = await schedule(ctx, video, '2030-01-01T02:00:00+02:00', targets);
      assert.equal(offset.statusCode, 201, offset.body);
      assert.equal((offset.json() as { items: Post[] }).items[0]?.scheduledFor, '2030-01-01T00:00:00.000Z');
    });

    test('a container not completed → 409 CONFLICT; rejected → 409 CONTENT_REJECTED; pending → publish-now 403 APPROVAL_REQUIRED', async () => {
      const targets = [{ socialAccountId: tiktok, mode: 'publish' }];
      const session = await api(ctx, 'POST', `/v1/projects/${ctx.projectId}/content/uploads`, { files: [{ filename: 'a.jpg', contentType: 'image/jpeg', sizeBytes: 5 }], grouping: 'per-file' });
      const queued = (session.json() as { items: { containerId: string }[] }).items[0]?.containerId as string;
      const before = await writes(ctx);
      assert.equal(expectError(await schedule(ctx, queued, inMinutes(ctx, 5), targets), 409, 'CONFLICT').currentStatus, 'queued');
      assert.equal(expectError(await api(ctx, 'POST', `/v1/content/${queued}/publish`, { targets }), 409, 'CONFLICT').currentStatus, 'queued');
      assert.deepEqual(await writes(ctx), before);

      const reviewed = await newProject(ctx, ctx.tenantOf.secret, 'Reviewed');
      const account = (await connect(ctx, 'tiktok', 'tt_reviewed', { projectId: reviewed })).id;
      assert.equal((await api(ctx, 'PATCH', `/v1/projects/${reviewed}/content-review-policy`, { policy: 'review_all' })).statusCode, 200);
      const pending = await uploadContainer(ctx, ['video.mp4'], 'Pending', reviewed);
      const rejected = await uploadContainer(ctx, ['video.mp4'], 'Rejected', reviewed);
      assert.equal((await api(ctx, 'POST', `/v1/content/${rejected}/reject`, { reason: 'off brand' })).statusCode, 200);
      const reviewedTargets = [{ socialAccountId: account, mode: 'publish' }];
      const beforeGate = await writes(ctx);
      expectError(await schedule(ctx, rejected, inMinutes(ctx, 5), reviewedTargets), 409, 'CONTENT_REJECTED');
      expectError(await api(ctx, 'POST', `/v1/content/${rejected}/publish`, { targets: reviewedTargets }), 409, 'CONTENT_REJECTED');
      const gated = expectError(await api(ctx, 'POST', `/v1/content/${pending}/publish`, { targets: reviewedTargets }), 403, 'APPROVAL_REQUIRED');
      assert.deepEqual(gated, { containerId: pending, approvalStatus: 'pending' });
      assert.deepEqual(await writes(ctx), beforeGate, 'a refused publish-now keeps nothing');
    });

    test('approval gate: a schedule on a pending container is kept (202) and promoted by the approval; a rejection drops it', async () => {
      const reviewed = await newProject(ctx, ctx.tenantOf.secret, 'Gate');
      const account = (await connect(ctx, 'tiktok', 'tt_gate', { projectId: reviewed })).id;
      assert.equal((await api(ctx, 'PATCH', `/v1/projects/${reviewed}/content-review-policy`, { policy: 'review_all' })).statusCode, 200);
      const pending = await uploadContainer(ctx, ['video.mp4'], 'Gated', reviewed);
      const at = inMinutes(ctx, 60);
      const targets = [{ socialAccountId: account, mode: 'publish' }];
      const kept = await schedule(ctx, pending, at, targets);
      assert.equal(kept.statusCode, 202, kept.body);
      assert.deepEqual(kept.json(), { containerId: pending, gateStatus: 'blocked_on_approval', scheduledPostIds: [] });
      // A bad target is refused at once, even behind the gate.
      const beforeBad = await writes(ctx);
      assert.deepEqual(expectIssuePaths(await schedule(ctx, pending, at, [{ socialAccountId: account, mode: 'managed' }])), ['targets.0.mode']);
      assert.deepEqual(await writes(ctx), beforeBad);
      const listed = async () => ((await api(ctx, 'GET', `/v1/projects/${reviewed}/scheduled-posts`)).json() as { items: Post[] }).items;
      assert.deepEqual(await listed(), []);

      const approved = await api(ctx, 'POST', `/v1/content/${pending}/approve`, {});
      assert.equal(approved.statusCode, 200, approved.body);
      const promotion = (approved.json() as { pendingSchedulePromotion: { status: string; scheduledPostIds: string[] } }).pendingSchedulePromotion;
      assert.equal(promotion.status, 'ok');
      assert.equal(promotion.scheduledPostIds.length, 1);
      const posts = await listed();
      assert.deepEqual(posts.map((post) => [post.id, post.status, post.scheduledFor]), [[promotion.scheduledPostIds[0], 'queued', at]]);

      const dropped = await uploadContainer(ctx, ['video.mp4'], 'Dropped', reviewed);
      assert.equal((await schedule(ctx, dropped, at, targets)).statusCode, 202);
      assert.equal((await api(ctx, 'POST', `/v1/content/${dropped}/reject`, { reason: 'no' })).statusCode, 200);
      const keptRows = await ctx.database.db.selectFrom('pending_schedules').select('id').where('container_id', '=', dropped).execute();
      assert.deepEqual(keptRows, []);
      assert.equal((await listed()).length, 1);
    });

    test('Idempotency-Key: the same schedule replayed byte for byte, one set of posts; another body 409', async () => {
      const body = { scheduledFor: inMinutes(ctx, 20), targets: [{ socialAccountId: tiktok, mode: 'publish' }, { socialAccountId: instagram, mode: 'publish' }] };
      const headers = { 'idempotency-key': 'schedule-once-1' };
      const first = await api(ctx, 'POST', `/v1/content/${photo}/schedule`, body, headers);
      assert.equal(first.statusCode, 201, first.body);
      const before = await writes(ctx);
      const replay = await api(ctx, 'POST', `/v1/content/${photo}/schedule`, body, headers);
      assert.equal(replay.statusCode, 201);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.equal(replay.body, first.body);
      assert.deepEqual(await writes(ctx), before, 'the replay wrote no post and no event');
      expectError(await api(ctx, 'POST', `/v1/content/${photo}/schedule`, { ...body, scheduledFor: inMinutes(ctx, 21) }, headers), 409, 'IDEMPOTENCY_CONFLICT');
      assert.deepEqual(await writes(ctx), before);
    });

    test('reschedule and cancel: queued posts move and cancel; a final or in-flight post is 409 with its status, unchanged', async () => {
      const [moving, canceling] = await scheduled(ctx, photo, inMinutes(ctx, 30), [{ socialAccountId: tiktok, mode: 'publish' }, { socialAccountId: instagram, mode: 'publish' }]);
      const moved = await api(ctx, 'POST', `/v1/scheduled-posts/${moving}/reschedule`, { scheduledFor: inMinutes(ctx, 45) });
      assert.equal(moved.statusCode, 200, moved.body);
      assert.equal((moved.json() as Post).scheduledFor, inMinutes(ctx, 45));
      assert.equal((moved.json() as Post).nextAttemptAt, inMinutes(ctx, 45));
      assert.deepEqual(expectIssuePaths(await api(ctx, 'POST', `/v1/scheduled-posts/${moving}/reschedule`, { scheduledFor: inMinutes(ctx, -5) })), ['scheduledFor']);

      const canceled = await api(ctx, 'DELETE', `/v1/scheduled-posts/${canceling}`, { reason: 'changed our mind' });
      assert.equal(canceled.statusCode, 200, canceled.body);
      assert.equal((canceled.json() as Post).status, 'canceled');
      assert.equal((canceled.json() as Post).cancelReason, 'changed our mind');
      const defaultReason = await api(ctx, 'DELETE', `/v1/scheduled-posts/${moving}`);
      assert.equal(defaultReason.statusCode, 200, defaultReason.body);
      assert.equal((defaultReason.json() as Post).cancelReason, 'canceled_by_partner');

      // Final posts: canceled and published.
      const [done] = await scheduled(ctx, video, inMinutes(ctx, 1), [{ socialAccountId: tiktok, mode: 'publish' }]);
      ctx.clock.advance(2 * 60_000);
      const [published] = await publishUntilSettled(ctx, [done as string]);
      assert.equal(published?.status, 'published');
      for (const [id, status] of [[canceling, 'canceled'], [done, 'published']] as const) {
        const before = await writes(ctx);
        assert.equal(expectError(await api(ctx, 'POST', `/v1/scheduled-posts/${id}/reschedule`, { scheduledFor: inMinutes(ctx, 60) }), 409, 'CONFLICT').currentStatus, status);
        assert.equal(expectError(await api(ctx, 'DELETE', `/v1/scheduled-posts/${id}`), 409, 'CONFLICT').currentStatus, status);
        assert.deepEqual(await writes(ctx), before, 'nothing written');
      }

      // In flight: TikTok holds the media and is still processing it.
      const slow = await connect(ctx, 'tiktok', 'tt_slow');
      const { control } = await import('../social/helpers.ts');
      await control(ctx, 'POST', `/users/tiktok/${slow.username}/processing`, { delaySeconds: 600 });
      const [flying] = await scheduled(ctx, video, inMinutes(ctx, 1), [{ socialAccountId: slow.id, mode: 'publish' }]);
      ctx.clock.advance(2 * 60_000);
      await ctx.publishing.runOnce();
      const before = await writes(ctx);
      assert.equal(expectError(await api(ctx, 'DELETE', `/v1/scheduled-posts/${flying}`), 409, 'CONFLICT').currentStatus, 'publishing');
      assert.equal(expectError(await api(ctx, 'POST', `/v1/scheduled-posts/${flying}/reschedule`, { scheduledFor: inMinutes(ctx, 60) }), 409, 'CONFLICT').currentStatus, 'publishing');
      assert.deepEqual(await writes(ctx), before);

      const other = await ctx.tenant({ orgName: 'Nosy' });
      expectError(await api(ctx, 'GET', `/v1/scheduled-posts/${flying}`, undefined, undefined, other.secret), 404, 'NOT_FOUND');
      expectError(await api(ctx, 'DELETE', `/v1/scheduled-posts/${flying}`, undefined, undefined, other.secret), 404, 'NOT_FOUND');
    });

    test('revoking an account and archiving a project cancel their queued posts (held ones too), one post.canceled each', async () => {
      const project = await newProject(ctx, ctx.tenantOf.secret, 'Revoke and archive');
      const a = await connect(ctx, 'tiktok', 'tt_revoked', { projectId: project });
      const b = await connect(ctx, 'instagram', 'ig_archived', { projectId: project });
      const container = await uploadContainer(ctx, ['image.jpg'], 'Soon gone', project);
      const [heldPost, otherPost] = await scheduled(ctx, container, inMinutes(ctx, 1), [{ socialAccountId: a.id, mode: 'publish' }, { socialAccountId: b.id, mode: 'publish' }]);
      const [later] = await scheduled(ctx, container, inMinutes(ctx, 90), [{ socialAccountId: a.id, mode: 'publish' }]);
      // The first post is held: its account's grant died upstream.
      const { control } = await import('../social/helpers.ts');
      await control(ctx, 'POST', `/users/tiktok/${a.username}/revoke`, {});
      await ctx.database.db.updateTable('scheduled_posts').set({ next_attempt_at: inMinutes(ctx, 1) }).where('id', '=', otherPost as string).execute();
      ctx.clock.advance(90_000);
      const [held] = await publishUntilSettled(ctx, [heldPost as string]);
      assert.ok(held?.hold);
      // A held post may be rescheduled: still held, its hold recomputed from the new time.
      const movedAt = inMinutes(ctx, 30);
      const moved = await api(ctx, 'POST', `/v1/scheduled-posts/${heldPost}/reschedule`, { scheduledFor: movedAt });
      assert.equal(moved.statusCode, 200, moved.body);
      const movedPost = moved.json() as Post;
      assert.equal(movedPost.status, 'queued');
      assert.equal(movedPost.hold?.since, held.hold.since);
      assert.equal(movedPost.hold?.until, new Date(Date.parse(movedAt) + 24 * 60 * 60_000).toISOString());
      assert.equal(movedPost.nextAttemptAt, null, 'held: not due until the reauth');

      const revoked = await api(ctx, 'DELETE', `/v1/social-accounts/${a.id}`);
      assert.equal(revoked.statusCode, 200, revoked.body);
      assert.equal((revoked.json() as { canceledScheduledPosts: number }).canceledScheduledPosts, 2);
      for (const id of [heldPost, later] as string[]) {
        const post = (await api(ctx, 'GET', `/v1/scheduled-posts/${id}`)).json() as Post;
        assert.equal(post.status, 'canceled');
        assert.equal(post.cancelReason, 'revoked_by_partner');
        assert.equal(post.hold, null);
        const events = await ctx.database.db.selectFrom('webhook_events').select('payload').where('type', '=', 'post.canceled').execute();
        const mine = events.map((row) => JSON.parse(row.payload).data).filter((data) => data.scheduledPostId === id);
        assert.equal(mine.length, 1);
        assert.equal(mine[0].reason, 'revoked_by_partner');
      }

      const [queuedOnB] = await scheduled(ctx, container, inMinutes(ctx, 120), [{ socialAccountId: b.id, mode: 'publish' }]);
      const [published] = await publishUntilSettled(ctx, [otherPost as string]);
      assert.equal(published?.status, 'published');
      const archived = await api(ctx, 'DELETE', `/v1/projects/${project}`);
      assert.equal(archived.statusCode, 200, archived.body);
      assert.equal((archived.json() as { status: string }).status, 'archived');
      const rows = await ctx.database.db.selectFrom('scheduled_posts').select(['id', 'status', 'cancel_reason']).where('project_id', '=', project).execute();
      const byId = new Map(rows.map((row) => [row.id, row]));
      assert.deepEqual({ ...byId.get(queuedOnB as string) }, { id: queuedOnB, status: 'canceled', cancel_reason: 'project_archived' });
      assert.equal(byId.get(otherPost as string)?.status, 'published', 'a published post stays published');
      const canceledEvents = await ctx.database.db.selectFrom('webhook_events').select('payload').where('type', '=', 'post.canceled').execute();
      assert.deepEqual(
        canceledEvents.map((row) => JSON.parse(row.payload).data).filter((data) => data.scheduledPostId === queuedOnB).map((data) => data.reason),
        ['project_archived'],
      );
    });

    test('archiving a project with more queued posts than one insert writes: each canceled, with one post.canceled in scheduledFor order and its delivery', async () => {
      const { db } = ctx.database;
      const project = await newProject(ctx, ctx.tenantOf.secret, 'Bulk archive');
      const account = (await connect(ctx, 'tiktok', 'tt_bulk', { projectId: project })).id;
      const container = await uploadContainer(ctx, ['image.jpg'], 'bulk', project);
      const [first] = await scheduled(ctx, container, inMinutes(ctx, 60), [{ socialAccountId: account, mode: 'publish' }]);
      const hooked = await api(ctx, 'POST', '/v1/webhook-endpoints', { url: 'https://hooks.example.com/bulk', events: ['post.canceled'], projectId: project });
      assert.equal(hooked.statusCode, 201, hooked.body);
      const endpointId = (hooked.json() as { endpoint: { id: string } }).endpoint.id;
      // 599 more like the first, each a minute later, written in an order other than their time.
      const row = await db.selectFrom('scheduled_posts').selectAll().where('id', '=', first as string).executeTakeFirstOrThrow();
      const copies = Array.from({ length: 599 }, (_, i) => ({
        ...row,
        id: `sp_${randomUUID()}`,
        scheduled_for: new Date(Date.parse(row.scheduled_for) + ((i * 7) % 599 + 1) * 60_000).toISOString(),
      }));
      for (let start = 0; start < copies.length; start += 100) await db.insertInto('scheduled_posts').values(copies.slice(start, start + 100)).execute();

      const archived = await api(ctx, 'DELETE', `/v1/projects/${project}`);
      assert.equal(archived.statusCode, 200, archived.body);
      const posts = await db.selectFrom('scheduled_posts').select(['id', 'status', 'cancel_reason', 'scheduled_for']).where('project_id', '=', project).execute();
      assert.equal(posts.length, 600);
      assert.ok(posts.every((post) => post.status === 'canceled' && post.cancel_reason === 'project_archived'));
      const events = await db.selectFrom('webhook_events').select(['id', 'payload']).where('type', '=', 'post.canceled').where('project_id', '=', project).orderBy('id').execute();
      const inTimeOrder = [...posts].sort((a, b) => (a.scheduled_for < b.scheduled_for ? -1 : 1)).map((post) => post.id);
      assert.deepEqual(events.map((event) => JSON.parse(event.payload).data.scheduledPostId), inTimeOrder);
      assert.ok(events.every((event) => JSON.parse(event.payload).data.reason === 'project_archived'));
      const deliveries = await db.selectFrom('webhook_deliveries').select(['event_id']).where('endpoint_id', '=', endpointId).execute();
      assert.deepEqual(deliveries.map((d) => d.event_id).sort(), events.map((event) => event.id));
    });

    test('list: newest scheduledFor first, keyset pages, status/account/container/since/until filters', async () => {
      const project = await newProject(ctx, ctx.tenantOf.secret, 'Listing');
      const t = (await connect(ctx, 'tiktok', 'tt_list', { projectId: project })).id;
      const i = (await connect(ctx, 'instagram', 'ig_list', { projectId: project })).id;
      const c1 = await uploadContainer(ctx, ['image.jpg'], 'one', project);
      const c2 = await uploadContainer(ctx, ['image.jpg'], 'two', project);
      const made: Array<{ id: string; at: string; account: string; container: string }> = [];
      for (let n = 0; n < 5; n++) {
        const at = inMinutes(ctx, 100 + n * 10);
        const container = n % 2 === 0 ? c1 : c2;
        const ids = await scheduled(ctx, container, at, [{ socialAccountId: t, mode: 'publish' }, { socialAccountId: i, mode: 'publish' }]);
        made.push({ id: ids[0] as string, at, account: t, container }, { id: ids[1] as string, at, account: i, container });
      }
      const canceled = made[0] as (typeof made)[number];
      assert.equal((await api(ctx, 'DELETE', `/v1/scheduled-posts/${canceled.id}`)).statusCode, 200);
      const list = async (query: string) => {
        const res = await api(ctx, 'GET', `/v1/projects/${project}/scheduled-posts${query}`);
        assert.equal(res.statusCode, 200, res.body);
        return res.json() as { items: Post[]; nextCursor: string | null };
      };
      const newestFirst = [...made].sort((x, y) => y.at.localeCompare(x.at) || y.id.localeCompare(x.id)).map((post) => post.id);
      const all = await list('');
      assert.deepEqual(all.items.map((post) => post.id), newestFirst);
      assert.equal(all.nextCursor, null);
      const pages: string[] = [];
      let cursor: string | null = null;
      let count = 0;
      do {
        const page = await list(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        assert.ok(page.items.length <= 3);
        pages.push(...page.items.map((post) => post.id));
        cursor = page.nextCursor;
        count++;
      } while (cursor);
      assert.equal(count, 4);
      assert.deepEqual(pages, newestFirst);

      assert.deepEqual((await list('?status=canceled')).items.map((post) => post.id), [canceled.id]);
      assert.equal((await list('?status=queued')).items.length, 9);
      assert.equal((await list('?status=queued&status=canceled')).items.length, 10);
      assert.deepEqual((await list(`?socialAccountId=${i}`)).items.map((post) => post.id), newestFirst.filter((id) => made.find((post) => post.id === id)?.account === i));
      assert.deepEqual((await list(`?containerId=${c2}`)).items.map((post) => post.id), newestFirst.filter((id) => made.find((post) => post.id === id)?.container === c2));
      const middle = (made[4] as (typeof made)[number]).at;
      assert.deepEqual(
        (await list(`?since=${encodeURIComponent(middle)}&until=${encodeURIComponent(middle)}`)).items.map((post) => post.id).sort(),
        made.filter((post) => post.at === middle).map((post) => post.id).sort(),
        'since and until are inclusive',
      );
      assert.equal((await list(`?since=${encodeURIComponent(middle)}`)).items.length, 6);
      const twoOfSince = await list(`?since=${encodeURIComponent(middle)}&limit=4`);
      const restOfSince = await list(`?since=${encodeURIComponent(middle)}&limit=4&cursor=${twoOfSince.nextCursor}`);
      assert.deepEqual([...twoOfSince.items, ...restOfSince.items].map((post) => post.id), newestFirst.slice(0, 6));
      expectIssuePaths(await api(ctx, 'GET', `/v1/projects/${project}/scheduled-posts?status=bogus`));
      expectIssuePaths(await api(ctx, 'GET', `/v1/projects/${project}/scheduled-posts?limit=101`));
      const other = await ctx.tenant({ orgName: 'List snoop' });
      expectError(await api(ctx, 'GET', `/v1/projects/${project}/scheduled-posts`, undefined, undefined, other.secret), 404, 'NOT_FOUND');
      expectError(await api(ctx, 'GET', `/v1/projects/${project}/scheduled-posts?status=queued&status=canceled`, undefined, undefined, other.secret), 404, 'NOT_FOUND');
      expectError(await api(ctx, 'GET', `/v1/projects/${project}/scheduled-posts?containerId=cnt_nope`, undefined, undefined, other.secret), 404, 'NOT_FOUND');
      // A project of the caller's with no posts is an empty page; the other organization's empty project is 404 all the same.
      const empty = await newProject(ctx, ctx.tenantOf.secret, 'Nothing scheduled');
      const emptyPage = await api(ctx, 'GET', `/v1/projects/${empty}/scheduled-posts`);
      assert.equal(emptyPage.statusCode, 200, emptyPage.body);
      assert.deepEqual(emptyPage.json(), { items: [], nextCursor: null });
      expectError(await api(ctx, 'GET', `/v1/projects/${await newProject(ctx, other.secret, 'Theirs, empty')}/scheduled-posts`), 404, 'NOT_FOUND');
    });
  });
}
