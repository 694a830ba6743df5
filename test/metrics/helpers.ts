import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { PlatformId } from '../../src/platforms/registry.ts';
import { asset, fixture, post, Publisher, type MediaServer } from '../platforms/publish-driver.ts';
import { runConnect } from '../support/consent.ts';
import type { TestContext, Tenant } from '../support/test-app.ts';
import { control, oauthStatus } from '../social/helpers.ts';

const photo = fixture('photo-1.jpg');

/** Scopes that let the sync read every counter the platform has. */
export const MEASURING_SCOPES: Readonly<Partial<Record<PlatformId, string[]>>> = {
  tiktok: ['user.info.basic', 'user.info.profile', 'video.publish', 'video.upload', 'video.list', 'user.info.stats'],
  instagram: ['instagram_business_basic', 'instagram_business_content_publish', 'instagram_business_manage_insights'],
};

/** Connects `username` on `platform` through the server with the measuring scopes; returns the account id. */
export async function connectMeasured(ctx: TestContext, tenant: Tenant, projectId: string, platform: PlatformId, username: string): Promise<string> {
  const scopes = MEASURING_SCOPES[platform];
  const { state } = await runConnect(ctx, { secret: tenant.secret, projectId, platform, ...(scopes ? { scopes } : {}) }, { username });
  const status = await oauthStatus(ctx, tenant.secret, state);
  assert.equal(status.status, 'completed', JSON.stringify(status));
  return status.socialAccountId as string;
}

export interface PublishedPost {
  scheduledPostId: string;
  externalId: string;
}

/**
 * A post really on the creator's emulated profile (published by the platform module with the
 * account's stored credential) and its `published` scheduled post, written straight into the
 * database: the sync only needs the row, not how it got there.
 */
export async function publishedPost(ctx: TestContext, media: MediaServer, accountId: string): Promise<PublishedPost> {
  const usable = await ctx.credentials.getUsableCredentials(accountId);
  const name = `${randomUUID()}.jpg`;
  const publisher = new Publisher(usable.adapter.module.publishing!, {
    http: usable.adapter.http,
    tokens: usable.tokens,
    account: { platformUserId: usable.account.platform_user_id, handle: usable.account.handle },
    post: post({ assets: [asset(photo, { kind: 'image', mimeType: 'image/jpeg', publicUrl: media.serve(name, photo, 'image/jpeg') })] }),
  });
  const outcome = await publisher.run();
  assert.ok(outcome.status === 'published' && outcome.externalId !== null, JSON.stringify(outcome));
  const scheduledPostId = await insertPublishedPost(ctx, accountId, outcome.externalId, outcome.externalUrl);
  return { scheduledPostId, externalId: outcome.externalId };
}

/** A `published` scheduled post of the account, as the publisher leaves it, written straight into the database. */
export async function insertPublishedPost(ctx: TestContext, accountId: string, externalId: string, externalUrl: string | null): Promise<string> {
  const account = await ctx.database.db.selectFrom('social_accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
  const now = ctx.clock.now().toISOString();
  const scheduledPostId = `sp_${randomUUID()}`;
  await ctx.database.db
    .insertInto('scheduled_posts')
    .values({
      id: scheduledPostId,
      organization_id: account.organization_id,
      project_id: account.project_id,
      container_id: `cnt_${randomUUID()}`,
      social_account_id: accountId,
      platform: account.platform,
      mode: 'publish',
      status: 'published',
      scheduled_for: now,
      caption: 'A caption',
      first_comment: null,
      settings: '{}',
      external_id: externalId,
      external_url: externalUrl,
      attempts: 1,
      next_attempt_at: null,
      attempted_at: now,
      published_at: now,
      canceled_at: null,
      cancel_reason: null,
      hold_since: null,
      hold_until: null,
      last_error_code: null,
      last_error_message: null,
      last_error_platform_code: null,
      last_error_at: null,
      publish_state: null,
      publish_warning: null,
      locked_until: null,
      behind_publishing: 0,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return scheduledPostId;
}

/** Sets a post's counters on the emulator, as the platform would show them. */
export async function setCounters(ctx: TestContext, platform: PlatformId, username: string, externalId: string, counters: Record<string, number>): Promise<void> {
  await control(ctx, 'POST', `/published/${platform}/${username}/${externalId}/stats`, counters);
}

export interface MetricsBody {
  scope: string;
  id: string;
  granularity: string;
  since: string;
  until: string;
  series: Array<{ start: string; end: string; values: Record<string, number | null> }>;
  totals: Record<string, number | null>;
}

export async function getMetrics(ctx: TestContext, secret: string, projectId: string, query: string): Promise<MetricsBody> {
  const res = await ctx.call({ method: 'GET', url: `/v1/projects/${projectId}/metrics?${query}`, key: secret });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

/** One metric's values along the series. */
export function column(body: MetricsBody, metric: string): Array<number | null> {
  return body.series.map((bucket) => bucket.values[metric] ?? null);
}
