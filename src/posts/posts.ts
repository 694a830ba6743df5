import { sql, type Kysely, type Transaction } from 'kysely';
import type { Principal } from '../api-keys/authenticate.ts';
import type { Clock } from '../clock.ts';
import type { Database, ScheduledPostsTable } from '../db/schema.ts';
import type { ListVersions } from '../db/list-versions.ts';
import { preparedPerShape, preparedQuery, type Placeholder } from '../db/prepared-query.ts';
import { readsById } from '../db/reads-by-id.ts';
import { ApiError, notFound } from '../errors.ts';
import { after, mergeNewestFirst, toPage, type Cursor } from '../http/pagination.ts';
import { parsePathId } from '../ids.ts';
import { getProject } from '../projects/projects.ts';
import { emitEvents } from '../webhooks/events.ts';
import { PLATFORM_TARGET_FIELDS, type ScheduledPostView } from './schemas.ts';

/** The statuses a post can still leave; the others are final. */
export const OPEN_STATUSES = ['queued', 'publishing'] as const;

/**
 * What a post's view is made of. A listed page reads only these: node:sqlite builds every selected
 * value, and `publish_state` (the platform steps reached) is the largest and never shown.
 */
const POST_VIEW_COLUMNS = [
  'id',
  'project_id',
  'container_id',
  'social_account_id',
  'platform',
  'mode',
  'status',
  'scheduled_for',
  'caption',
  'first_comment',
  'settings',
  'external_id',
  'external_url',
  'attempts',
  'next_attempt_at',
  'attempted_at',
  'published_at',
  'publish_warning',
  'canceled_at',
  'cancel_reason',
  'hold_since',
  'hold_until',
  'last_error_code',
  'last_error_message',
  'last_error_platform_code',
  'last_error_at',
  'created_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof ScheduledPostsTable>;

type PostViewRow = Pick<ScheduledPostsTable, (typeof POST_VIEW_COLUMNS)[number]>;

type PostPageShape = { status: boolean; socialAccountId: boolean; containerId: boolean; since: boolean; until: boolean; cursor: boolean };

const PAGE_PARAMETERS = ['organizationId', 'projectId', 'limit', 'status', 'socialAccountId', 'containerId', 'since', 'until', 'cursorAt', 'cursorId'] as const;

/** The rows of a page for a combination of filters, before what is selected of them. */
function postPageRows(db: Kysely<Database>, p: Placeholder<(typeof PAGE_PARAMETERS)[number]>, shape: PostPageShape) {
  let select = db.selectFrom('scheduled_posts').where('project_id', '=', p('projectId')).where('organization_id', '=', p('organizationId'));
  if (shape.status) select = select.where('status', '=', p('status'));
  if (shape.socialAccountId) select = select.where('social_account_id', '=', p('socialAccountId'));
  if (shape.containerId) select = select.where('container_id', '=', p('containerId'));
  if (shape.since) select = select.where('scheduled_for', '>=', p('since'));
  if (shape.until) select = select.where('scheduled_for', '<=', p('until'));
  if (shape.cursor) select = select.where(after<Database, 'scheduled_posts'>({ at: p('cursorAt'), id: p('cursorId') }, 'scheduled_for'));
  return select.orderBy('scheduled_for', 'desc').orderBy('id', 'desc').limit(p('limit'));
}

/** The page query for a combination of filters, built once (src/db/prepared-query.ts). */
const postPageQuery = preparedPerShape((shape: PostPageShape) => preparedQuery(PAGE_PARAMETERS, (db, p) => postPageRows(db, p, shape).select(POST_VIEW_COLUMNS)));

/** The same page's row versions (Postgres, src/db/list-versions.ts). */
const postRowVersionsQuery = preparedPerShape((shape: PostPageShape) =>
  preparedQuery(PAGE_PARAMETERS, (db, p) => postPageRows(db, p, shape).select(['id', sql<string>`xmin::text`.as('row_version')])),
);

export function toPostView(row: PostViewRow): ScheduledPostView {
  const settings = JSON.parse(row.settings) as Record<string, unknown>;
  return {
    id: row.id,
    projectId: row.project_id,
    containerId: row.container_id,
    socialAccountId: row.social_account_id,
    platform: row.platform,
    mode: row.mode,
    status: row.status,
    scheduledFor: row.scheduled_for,
    caption: row.caption,
    firstComment: row.first_comment,
    ...platformFieldViews(settings),
    externalId: row.external_id,
    externalUrl: row.external_url,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'queued' || row.status === 'publishing' ? row.next_attempt_at : null,
    attemptedAt: row.attempted_at,
    publishedAt: row.published_at,
    warning: row.publish_warning,
    canceledAt: row.canceled_at,
    cancelReason: row.cancel_reason,
    hold: row.hold_since && row.hold_until ? { reason: 'CREDENTIAL_INVALID', since: row.hold_since, until: row.hold_until } : null,
    lastError:
      row.last_error_code && row.last_error_at
        ? {
            code: row.last_error_code,
            message: row.last_error_message ?? '',
            at: row.last_error_at,
            ...(row.last_error_platform_code ? { platformCode: row.last_error_platform_code } : {}),
          }
        : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const PLATFORM_FIELDS = Object.keys(PLATFORM_TARGET_FIELDS);

/**
 * Every platform-specific field is in every view: the post's own value, null for the others. A loop
 * over the names listed once: building the entries per row was 40 % of a listed page's views
 * (docs/performance.md, "Sixth round").
 */
function platformFieldViews(settings: Record<string, unknown>): Record<string, unknown> {
  const views: Record<string, unknown> = {};
  for (const field of PLATFORM_FIELDS) views[field] = settings[field] ?? null;
  return views;
}

export type PostEventType = 'post.scheduled' | 'post.held' | 'post.published' | 'post.failed' | 'post.canceled';

/**
 * Emits a post event from inside the transaction that changed the post, reading the post as that
 * transaction sees it (docs/reference/webhooks.md lists each event's fields).
 */
export async function emitPostEvent(trx: Transaction<Database>, clock: Clock, type: PostEventType, postId: string): Promise<void> {
  const post = await trx.selectFrom('scheduled_posts').selectAll().where('id', '=', postId).executeTakeFirstOrThrow();
  await emitPostEvents(trx, clock, type, [post]);
}

/** One event per post, for posts as the transaction that changed them left them (`returning`). */
export async function emitPostEvents(trx: Transaction<Database>, clock: Clock, type: PostEventType, posts: readonly ScheduledPostsTable[]): Promise<void> {
  await emitEvents(
    trx,
    clock,
    posts.map((post) => ({ organizationId: post.organization_id, projectId: post.project_id, type, data: postEventData(type, post) })),
  );
}

function postEventData(type: PostEventType, post: ScheduledPostsTable): Record<string, unknown> {
  const view = toPostView(post);
  const base = {
    scheduledPostId: post.id,
    containerId: post.container_id,
    socialAccountId: post.social_account_id,
    projectId: post.project_id,
    platform: post.platform,
    scheduledFor: post.scheduled_for,
    status: post.status,
  };
  const extra: Record<PostEventType, Record<string, unknown>> = {
    'post.scheduled': {},
    'post.held': { hold: view.hold },
    'post.published': { externalId: post.external_id, externalUrl: post.external_url, publishedAt: post.published_at, warning: post.publish_warning },
    'post.failed': {
      error: view.lastError ? { code: view.lastError.code, message: view.lastError.message, ...(view.lastError.platformCode ? { platformCode: view.lastError.platformCode } : {}) } : null,
    },
    'post.canceled': { reason: post.cancel_reason },
  };
  return { ...base, ...extra[type] };
}

/** A container's posts that keep it from being deleted: queued or publishing (docs/reference/content.md). */
export async function openPostIdsOfContainer(trx: Transaction<Database>, containerId: string): Promise<string[]> {
  const rows = await trx.selectFrom('scheduled_posts').select('id').where('container_id', '=', containerId).where('status', 'in', OPEN_STATUSES).execute();
  return rows.map((row) => row.id);
}

const postsById = readsById((db, ids) => db.selectFrom('scheduled_posts').selectAll().where('id', 'in', ids));

/** A post of the caller's organization, or 404 (another organization's post is reported absent). */
export async function findPost(db: Kysely<Database>, organizationId: string, postId: string): Promise<ScheduledPostsTable> {
  const row = await postsById.one(db, postId);
  if (!row || row.organization_id !== organizationId) throw notFound(`Scheduled post ${postId}`);
  return row;
}

export interface PostListQuery {
  status?: ScheduledPostsTable['status'] | ScheduledPostsTable['status'][];
  socialAccountId?: string;
  containerId?: string;
  since?: string;
  until?: string;
  limit: number;
  cursor?: Cursor;
}

/** Newest `scheduledFor` first, keyset-paginated on (scheduled_for, id); `since` and `until` are inclusive. */
export async function listPosts(db: Kysely<Database>, principal: Principal, projectId: string, query: PostListQuery) {
  const containerId = containerIdOf(query);
  if (query.containerId !== undefined && containerId === null) {
    // A project of another organization answers 404 before anything is said about the query.
    await getProject(db, principal.organizationId, projectId);
    throw new ApiError(422, 'VALIDATION', 'The request failed validation.', {
      issues: [{ path: 'containerId', code: 'custom', message: 'Expected cnt_<uuid> or a bare UUID.' }],
    });
  }
  const keyOf = (row: PostViewRow) => ({ at: row.scheduled_for, id: row.id });
  const walks = statusWalks(query).map((status) => postPageQuery(pageShape(query, status))(db, pageValues(principal, projectId, query, containerId, status)));
  const rows = walks.length === 1 ? await walks[0]! : await mergeNewestFirst(walks, query.limit, keyOf);
  // The pages are read with the caller's organization as a condition; only an empty one needs the project looked up, to tell 404 from empty.
  if (rows.length === 0) await getProject(db, principal.organizationId, projectId);
  return toPage(rows, query.limit, keyOf, toPostView);
}

/** The version a page of `listPosts`, named `key`, is served again from memory under (src/http/listed-pages.ts). */
export function postPageVersion(versions: ListVersions, db: Kysely<Database>, key: string, principal: Principal, projectId: string, query: PostListQuery) {
  return versions.ofPage({ list: 'scheduled_posts', projectId, key }, async () => {
    // An id that does not parse reads as null here, matches no row, and the page itself answers 400.
    const containerId = containerIdOf(query);
    const walks = statusWalks(query).map((status) => postRowVersionsQuery(pageShape(query, status))(db, pageValues(principal, projectId, query, containerId, status)));
    return (await Promise.all(walks)).flat();
  });
}

/**
 * Each status is its own walk down (project, status, scheduled_for, id), merged: the cost follows
 * the page size, never the project's size. No status: one walk over all of them.
 */
function statusWalks(query: PostListQuery): Array<ScheduledPostsTable['status'] | null> {
  const statuses = [...new Set(query.status === undefined ? [] : [query.status].flat())];
  return statuses.length === 0 ? [null] : statuses;
}

/** The `containerId` filter as stored (`cnt_<uuid>`), null when it does not parse, undefined when absent. */
function containerIdOf(query: PostListQuery): string | null | undefined {
  return query.containerId === undefined ? undefined : parsePathId(query.containerId, 'cnt');
}

function pageShape(query: PostListQuery, status: ScheduledPostsTable['status'] | null): PostPageShape {
  return { status: !!status, socialAccountId: !!query.socialAccountId, containerId: query.containerId !== undefined, since: !!query.since, until: !!query.until, cursor: !!query.cursor };
}

function pageValues(principal: Principal, projectId: string, query: PostListQuery, containerId: string | null | undefined, status: ScheduledPostsTable['status'] | null) {
  return {
    organizationId: principal.organizationId,
    projectId,
    status,
    socialAccountId: query.socialAccountId,
    containerId,
    since: query.since,
    until: query.until,
    cursorAt: query.cursor?.at,
    cursorId: query.cursor?.id,
    limit: query.limit + 1,
  };
}
