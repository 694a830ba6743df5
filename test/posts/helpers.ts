import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { Engine } from '../../src/db/database.ts';
import type { ScheduledPostsTable } from '../../src/db/schema.ts';
import type { PlatformId } from '../../src/platforms/registry.ts';
import { fixture, startMediaServer, type FixtureName, type MediaServer } from '../support/media-server.ts';
import { createListeningTestContext, type ListeningTestContext, type Tenant } from '../support/test-app.ts';
import { runConnect } from '../support/consent.ts';
import { connectAccount, control, newProject, oauthStatus, uniqueUser } from '../social/helpers.ts';

/** A context whose server listens on a real port (the platforms fetch media from PUBLIC_BASE_URL), with the emulator and a media origin. */
export interface PostsContext extends ListeningTestContext {
  tenantOf: Tenant;
  projectId: string;
  origin: MediaServer;
}

export async function postsContext(engine: Engine, options: { fetch?: typeof fetch } = {}): Promise<PostsContext> {
  const ctx = await createListeningTestContext(engine, { emulator: true, publicHost: '127.0.0.1', clockStart: new Date(), ...options });
  const origin = await startMediaServer();
  const tenantOf = await ctx.tenant();
  const projectId = await newProject(ctx, tenantOf.secret, 'Posts tests');
  const close = ctx.close.bind(ctx);
  return Object.assign(ctx, {
    tenantOf,
    projectId,
    origin,
    async close() {
      await origin.close();
      await close();
    },
  });
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function fixtureSha(name: FixtureName): string {
  return sha256(fixture(name));
}

export interface Post {
  id: string;
  status: string;
  scheduledFor: string;
  caption: string;
  firstComment: string | null;
  externalId: string | null;
  externalUrl: string | null;
  attempts: number;
  nextAttemptAt: string | null;
  publishedAt: string | null;
  cancelReason: string | null;
  hold: { reason: string; since: string; until: string } | null;
  lastError: { code: string; message: string; at: string; platformCode?: string } | null;
  [field: string]: unknown;
}

export function api(ctx: PostsContext, method: 'GET' | 'POST' | 'DELETE' | 'PATCH', url: string, body?: unknown, headers?: Record<string, string>, key = ctx.tenantOf.secret): Promise<LightMyRequestResponse> {
  return ctx.call({ method, url, key, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
}

/** A completed container of the media origin's fixtures (one video, one image, or a carousel of images). */
export async function uploadContainer(ctx: PostsContext, files: FixtureName[], caption = 'A caption', projectId = ctx.projectId): Promise<string> {
  const res = await api(ctx, 'POST', `/v1/projects/${projectId}/content/upload`, { media: files.map((name) => ({ url: `${ctx.origin.url}/f/${name}` })), caption });
  assert.equal(res.statusCode, 201, res.body);
  const container = res.json() as { id: string; status: string };
  assert.equal(container.status, 'completed', res.body);
  return container.id;
}

/** A new emulator user connected to the context's project; returns the account id and the username. */
export async function connect(ctx: PostsContext, platform: PlatformId, prefix: string, options: { projectId?: string; scopes?: string[] } = {}): Promise<{ id: string; username: string }> {
  const username = uniqueUser(prefix);
  const projectId = options.projectId ?? ctx.projectId;
  await control(ctx, 'POST', `/users/${platform}/${username}`, platform === 'instagram' ? { accountType: 'BUSINESS' } : {});
  if (!options.scopes) return { id: await connectAccount(ctx, ctx.tenantOf, projectId, platform, username), username };
  const { callback, state } = await runConnect(ctx, { secret: ctx.tenantOf.secret, projectId, platform, scopes: options.scopes }, { username });
  assert.equal(callback.statusCode, 302, callback.body);
  const status = await oauthStatus(ctx, ctx.tenantOf.secret, state);
  assert.equal(status.status, 'completed', JSON.stringify(status));
  return { id: status.socialAccountId as string, username };
}

export async function schedule(ctx: PostsContext, containerId: string, scheduledFor: string, targets: object[], headers?: Record<string, string>): Promise<LightMyRequestResponse> {
  return api(ctx, 'POST', `/v1/content/${containerId}/schedule`, { scheduledFor, targets }, headers);
}

/** Schedules and asserts 201; returns the posts' ids in target order. */
export async function scheduled(ctx: PostsContext, containerId: string, scheduledFor: string, targets: object[]): Promise<string[]> {
  const res = await schedule(ctx, containerId, scheduledFor, targets);
  assert.equal(res.statusCode, 201, res.body);
  return (res.json() as { scheduledPostIds: string[] }).scheduledPostIds;
}

export async function publishNow(ctx: PostsContext, containerId: string, targets: object[]): Promise<string[]> {
  const res = await api(ctx, 'POST', `/v1/content/${containerId}/publish`, { targets });
  assert.equal(res.statusCode, 201, res.body);
  return (res.json() as { scheduledPostIds: string[] }).scheduledPostIds;
}

export async function getPost(ctx: PostsContext, id: string): Promise<Post> {
  const res = await api(ctx, 'GET', `/v1/scheduled-posts/${id}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Post;
}

const FINAL = ['published', 'draft', 'failed', 'canceled'];

/**
 * Runs the publisher until every post in `ids` is final or held, moving the clock on by `stepMs`
 * whenever nothing is due (a platform still processing, a retry's backoff). Returns the posts.
 */
export async function publishUntilSettled(ctx: PostsContext, ids: string[], options: { stepMs?: number; maxRounds?: number } = {}): Promise<Post[]> {
  const stepMs = options.stepMs ?? 5_000;
  for (let round = 0; round < (options.maxRounds ?? 200); round++) {
    const worked = await ctx.publishing.runOnce();
    const posts = await Promise.all(ids.map((id) => getPost(ctx, id)));
    if (posts.every((post) => FINAL.includes(post.status) || post.hold !== null)) return posts;
    if (worked === 0) ctx.clock.advance(stepMs);
  }
  assert.fail(`posts not settled: ${JSON.stringify(await Promise.all(ids.map((id) => getPost(ctx, id))))}`);
}

export interface ProfileItem {
  externalId: string;
  kind: string;
  caption: string;
  privacyLevel: string | null;
  draft: boolean;
  mediaSha256: string[];
  publishedAt: string;
  comments: Array<{ text: string }>;
}

/** What the emulator shows on the creator's profile. */
export async function profile(ctx: PostsContext, platform: PlatformId, username: string): Promise<ProfileItem[]> {
  return ((await control(ctx, 'GET', `/published/${platform}/${username}`)) as { items: ProfileItem[] }).items;
}

export async function publishFault(ctx: PostsContext, platform: PlatformId, username: string, fault: object): Promise<void> {
  await control(ctx, 'POST', `/users/${platform}/${username}/publish-faults`, fault);
}

export function postRows(ctx: PostsContext): Promise<ScheduledPostsTable[]> {
  return ctx.database.db.selectFrom('scheduled_posts').selectAll().orderBy('created_at').orderBy('id').execute();
}

/** The events of `type` written for a post, oldest first. */
export async function postEvents(ctx: PostsContext, postId: string, type?: string): Promise<Array<{ type: string; data: Record<string, any> }>> {
  let query = ctx.database.db.selectFrom('webhook_events').select(['type', 'payload']).where('replay_of', 'is', null).orderBy('created_at').orderBy('id');
  if (type) query = query.where('type', '=', type);
  const rows = await query.execute();
  return rows
    .map((row) => ({ type: row.type, data: (JSON.parse(row.payload) as { data: Record<string, any> }).data }))
    .filter((event) => event.data['scheduledPostId'] === postId);
}

export function inMinutes(ctx: PostsContext, minutes: number): string {
  return new Date(ctx.clock.now().getTime() + minutes * 60_000).toISOString();
}
