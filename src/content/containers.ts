import type { Kysely, Transaction } from 'kysely';
import type { Database, ContentContainersTable, ContainerStatus } from '../db/schema.ts';
import { ApiError, conflict, notFound } from '../errors.ts';
import { after, mergeNewestFirst, toPage, type Cursor } from '../http/pagination.ts';
import { mediaUrl } from '../media/media-store.ts';
import type { AssetFacts, PlatformFit } from '../platforms/media.ts';
import { openPostIdsOfContainer } from '../posts/posts.ts';
import { PLATFORM_MODULES, type PlatformId } from '../platforms/registry.ts';
import type { ContentDeps } from './deps.ts';

export interface AssetView {
  assetId: string;
  kind: 'video' | 'image';
  url: string;
  mimeType: string;
  sizeBytes: number;
  checksumSha256: string;
  width: number;
  height: number;
  durationMs: number | null;
  frameRate: number | null;
}

export interface ContainerView {
  id: string;
  projectId: string;
  status: ContainerStatus;
  creativeType: 'uploaded';
  format: null;
  hook: null;
  influencerId: null;
  caption: string;
  firstComment: null;
  approvalStatus: ContentContainersTable['approval_status'];
  adsEnrollment: 'opted_out';
  assets: AssetView[];
  platformFit: Record<PlatformId, PlatformFit>;
  createdAt: string;
  completedAt: string | null;
  updatedAt: string;
  lastError: { code: string; message: string; at: string } | null;
}

type AssetRow = Database['content_assets'] & { storage_key: string | null };

/** Every platform module's verdict on a container's assets (advisory; schedule and publish enforce problems). */
export function platformFitOf(assets: readonly AssetFacts[]): Record<PlatformId, PlatformFit> {
  return Object.fromEntries(PLATFORM_MODULES.map((module) => [module.id, module.media?.fit(assets) ?? notPublished(module.displayName)])) as Record<PlatformId, PlatformFit>;
}

/** The fit on a platform this server does not publish to: never publishable there. */
function notPublished(displayName: string): PlatformFit {
  return { publishable: false, problems: [{ code: 'publishing_not_offered', message: `This server does not publish to ${displayName}.` }], warnings: [] };
}

export async function loadAssets(db: Kysely<Database> | Transaction<Database>, containerIds: readonly string[]): Promise<Map<string, AssetRow[]>> {
  const byContainer = new Map<string, AssetRow[]>(containerIds.map((id) => [id, []]));
  if (containerIds.length === 0) return byContainer;
  const rows = await db
    .selectFrom('content_assets')
    .leftJoin('media', 'media.id', 'content_assets.media_id')
    .selectAll('content_assets')
    .select('media.storage_key')
    .where('content_assets.container_id', 'in', containerIds)
    .orderBy('content_assets.container_id')
    .orderBy('content_assets.position')
    .execute();
  for (const row of rows) byContainer.get(row.container_id)?.push(row);
  return byContainer;
}

export function assetFacts(row: Database['content_assets']): AssetFacts {
  return {
    kind: row.kind,
    mimeType: row.mime_type,
    sizeBytes: row.size_bytes,
    width: row.width,
    height: row.height,
    durationMs: row.duration_ms,
    frameRate: row.frame_rate,
    videoCodec: row.video_codec,
  };
}

export function toContainerView(deps: Pick<ContentDeps, 'blobs' | 'publicBaseUrl'>, row: ContentContainersTable, assets: readonly AssetRow[]): ContainerView {
  return {
    id: row.id,
    projectId: row.project_id,
    status: row.status,
    creativeType: 'uploaded',
    format: null,
    hook: null,
    influencerId: null,
    caption: row.caption,
    firstComment: null,
    approvalStatus: row.approval_status,
    adsEnrollment: 'opted_out',
    assets: assets.map((asset) => ({
      assetId: asset.id,
      kind: asset.kind,
      url: (asset.storage_key ? deps.blobs.publicUrl(asset.storage_key) : null) ?? mediaUrl(deps.publicBaseUrl, asset.media_id),
      mimeType: asset.mime_type,
      sizeBytes: asset.size_bytes,
      checksumSha256: asset.checksum_sha256,
      width: asset.width,
      height: asset.height,
      durationMs: asset.duration_ms,
      frameRate: asset.frame_rate,
    })),
    platformFit: platformFitOf(assets.map(assetFacts)),
    createdAt: row.created_at,
    completedAt: row.completed_at,
    updatedAt: row.updated_at,
    lastError: row.last_error ? (JSON.parse(row.last_error) as ContainerView['lastError']) : null,
  };
}

/** The container in the caller's organization, or 404 (another organization's id answers the same). */
export async function findContainer(db: Kysely<Database> | Transaction<Database>, organizationId: string, id: string): Promise<ContentContainersTable> {
  const row = await db.selectFrom('content_containers').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst();
  if (!row) throw notFound(`Content container ${id}`);
  return row;
}

export async function viewContainer(deps: ContentDeps, db: Kysely<Database> | Transaction<Database>, row: ContentContainersTable): Promise<ContainerView> {
  const assets = await loadAssets(db, [row.id]);
  return toContainerView(deps, row, assets.get(row.id) ?? []);
}

export async function getContainer(deps: ContentDeps, organizationId: string, id: string): Promise<ContainerView> {
  return viewContainer(deps, deps.db, await findContainer(deps.db, organizationId, id));
}

export interface ContainerListQuery {
  status?: ContainerStatus[] | undefined;
  creativeType?: string | undefined;
  format?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  limit: number;
  cursor?: Cursor | undefined;
}

/**
 * Newest first. Each status filter is its own walk down (project, status, created_at, id), merged
 * and cut to a page: the cost follows the page size, never the project's size.
 */
export async function listContainers(deps: ContentDeps, projectId: string, query: ContainerListQuery): Promise<{ items: ContainerView[]; nextCursor: string | null }> {
  // Every container here is an uploaded one without a format (docs/reference/content.md).
  if ((query.creativeType !== undefined && query.creativeType !== 'uploaded') || query.format !== undefined) return { items: [], nextCursor: null };
  const page = (status: ContainerStatus | null) => {
    let select = deps.db.selectFrom('content_containers').selectAll().where('project_id', '=', projectId);
    if (status) select = select.where('status', '=', status);
    if (query.since) select = select.where('created_at', '>=', query.since);
    if (query.until) select = select.where('created_at', '<=', query.until);
    if (query.cursor) select = select.where(after<Database, 'content_containers'>(query.cursor, 'created_at'));
    return select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1);
  };
  const statuses = [...new Set(query.status ?? [])];
  const keyOf = (row: ContentContainersTable) => ({ at: row.created_at, id: row.id });
  const rows =
    statuses.length === 0
      ? await page(null).execute()
      : await mergeNewestFirst(statuses.map((status) => page(status).execute()), query.limit, keyOf);
  const assets = await loadAssets(deps.db, rows.slice(0, query.limit).map((row) => row.id));
  return toPage(rows, query.limit, keyOf, (row) => toContainerView(deps, row, assets.get(row.id) ?? []));
}

/** A completed container's caption; posts already created keep theirs. */
export async function updateCaption(deps: ContentDeps, organizationId: string, id: string, caption: string): Promise<ContainerView> {
  const row = await findContainer(deps.db, organizationId, id);
  if (row.status !== 'completed') throw conflict(`Only a completed container's caption can change; this one is ${row.status}.`, row.status);
  const now = deps.clock.now().toISOString();
  await deps.db.updateTable('content_containers').set({ caption, updated_at: now }).where('id', '=', row.id).where('status', '=', 'completed').execute();
  return getContainer(deps, organizationId, id);
}

/**
 * Cancels a container and deletes its bytes (assets and anything an unfinished upload left). A
 * post of it still queued or publishing keeps it (409). Deleting a canceled container again is a no-op.
 */
export async function deleteContainer(deps: ContentDeps, organizationId: string, id: string): Promise<ContainerView> {
  const current = await findContainer(deps.db, organizationId, id);
  if (current.status === 'canceled') return viewContainer(deps, deps.db, current);
  const keys = await deps.db.transaction().execute(async (trx) => {
    const posts = await openPostIdsOfContainer(trx, current.id);
    if (posts.length > 0) {
      throw new ApiError(409, 'CONFLICT', `Scheduled posts of this container are still queued or publishing: ${posts.join(', ')}. Cancel them first.`, {
        currentStatus: current.status,
        scheduledPostIds: posts,
      });
    }
    const now = deps.clock.now().toISOString();
    const updated = await trx
      .updateTable('content_containers')
      .set({ status: 'canceled', updated_at: now })
      .where('id', '=', current.id)
      .where('status', '=', current.status)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return [];
    return releaseContainerBytes(trx, current.id, now);
  });
  await deps.blobs.delete(keys);
  return getContainer(deps, organizationId, id);
}

/**
 * Forgets a container's stored objects (assets and their media rows; upload staging, marked swept) in `trx`
 * and returns the blob keys to delete once it commits: a rollback must not lose bytes.
 */
export async function releaseContainerBytes(trx: Transaction<Database>, containerId: string, now: string): Promise<string[]> {
  const media = await trx
    .selectFrom('content_assets')
    .innerJoin('media', 'media.id', 'content_assets.media_id')
    .select(['media.id', 'media.storage_key'])
    .where('content_assets.container_id', '=', containerId)
    .execute();
  const staging = await trx.selectFrom('content_upload_files').select('staging_key').where('container_id', '=', containerId).where('swept_at', 'is', null).execute();
  await trx.deleteFrom('content_assets').where('container_id', '=', containerId).execute();
  if (media.length > 0) await trx.deleteFrom('media').where('id', 'in', media.map((m) => m.id)).execute();
  await trx.updateTable('content_upload_files').set({ swept_at: now }).where('container_id', '=', containerId).where('swept_at', 'is', null).execute();
  return [...media.flatMap((m) => (m.storage_key ? [m.storage_key] : [])), ...staging.map((s) => s.staging_key)];
}
