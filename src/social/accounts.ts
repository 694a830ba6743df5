import { sql, type Kysely } from 'kysely';
import type { ListVersions } from '../db/list-versions.ts';
import { preparedPerShape, preparedQuery, type Placeholder } from '../db/prepared-query.ts';
import { readsById } from '../db/reads-by-id.ts';
import type { Database, SocialAccountsTable, SocialAccountStatus } from '../db/schema.ts';
import { notFound } from '../errors.ts';
import { mediaUrl } from '../media/media-store.ts';
import { getProject } from '../projects/projects.ts';
import { after, toPage, type Cursor } from '../http/pagination.ts';
import type { SocialAccountView } from './schemas.ts';

export interface AccountListQuery {
  platform?: SocialAccountsTable['platform'];
  status?: SocialAccountStatus;
  leased?: boolean;
  limit: number;
  cursor?: Cursor;
}

const accountsById = readsById((db, ids) => db.selectFrom('social_accounts').selectAll().where('id', 'in', ids));

/**
 * An account of the caller's organization, or 404: another organization's account is reported
 * absent, never forbidden. `live` also treats disconnected accounts as absent (docs/reference/conventions.md, "Errors").
 */
export async function findAccount(
  db: Kysely<Database>,
  organizationId: string,
  socialAccountId: string,
  options: { live: boolean; projectId?: string },
): Promise<SocialAccountsTable> {
  const row = await accountsById.one(db, socialAccountId);
  const visible = row && row.organization_id === organizationId && (options.projectId === undefined || row.project_id === options.projectId);
  if (!visible || (options.live && row.status === 'disconnected')) throw notFound(`Social account ${socialAccountId}`);
  return row;
}

/**
 * Newest connection first; keyset-paginated on (connected_at, id). The page is read with the
 * caller's organization as a condition, so the project needs no lookup of its own unless the page is
 * empty: then the lookup tells a project of another organization (404) from an empty one. On
 * Postgres that saves a round trip on every page that has rows (docs/performance.md).
 */
export async function listAccounts(
  db: Kysely<Database>,
  organizationId: string,
  projectId: string,
  query: AccountListQuery,
  publicBaseUrl: string,
): Promise<{ items: SocialAccountView[]; nextCursor: string | null }> {
  const rows = await accountPageQuery(pageShape(query))(db, pageValues(organizationId, projectId, query));
  if (rows.length === 0) await getProject(db, organizationId, projectId);
  return toPage(rows, query.limit, (row) => ({ at: row.connected_at, id: row.id }), (row) => toAccountView(row, publicBaseUrl));
}

/** The version a page of `listAccounts`, named `key`, is served again from memory under (src/http/listed-pages.ts). */
export function accountPageVersion(versions: ListVersions, db: Kysely<Database>, key: string, organizationId: string, projectId: string, query: AccountListQuery) {
  return versions.ofPage({ list: 'social_accounts', projectId, key }, () => accountRowVersionsQuery(pageShape(query))(db, pageValues(organizationId, projectId, query)));
}

type AccountPageShape = { platform: boolean; status: boolean; leased: boolean; cursor: boolean };

function pageShape(query: AccountListQuery): AccountPageShape {
  return { platform: !!query.platform, status: !!query.status, leased: query.leased !== undefined, cursor: !!query.cursor };
}

function pageValues(organizationId: string, projectId: string, query: AccountListQuery) {
  return {
    organizationId,
    projectId,
    platform: query.platform,
    status: query.status,
    leased: query.leased ? 1 : 0,
    cursorAt: query.cursor?.at,
    cursorId: query.cursor?.id,
    limit: query.limit + 1,
  };
}

const PAGE_PARAMETERS = ['organizationId', 'projectId', 'limit', 'platform', 'status', 'leased', 'cursorAt', 'cursorId'] as const;

/** The rows of a page for a combination of filters, before what is selected of them. */
function accountPageRows(db: Kysely<Database>, p: Placeholder<(typeof PAGE_PARAMETERS)[number]>, shape: AccountPageShape) {
  let select = db.selectFrom('social_accounts').where('project_id', '=', p('projectId')).where('organization_id', '=', p('organizationId'));
  if (shape.platform) select = select.where('platform', '=', p('platform'));
  if (shape.status) select = select.where('status', '=', p('status'));
  if (shape.leased) select = select.where('leased', '=', p('leased'));
  if (shape.cursor) select = select.where(after<Database, 'social_accounts'>({ at: p('cursorAt'), id: p('cursorId') }, 'connected_at'));
  return select.orderBy('connected_at', 'desc').orderBy('id', 'desc').limit(p('limit'));
}

/** The page query for a combination of filters, built once (src/db/prepared-query.ts). */
const accountPageQuery = preparedPerShape((shape: AccountPageShape) =>
  preparedQuery(PAGE_PARAMETERS, (db, p) => accountPageRows(db, p, shape).select(ACCOUNT_VIEW_COLUMNS)),
);

/** The same page's row versions (Postgres, src/db/list-versions.ts). */
const accountRowVersionsQuery = preparedPerShape((shape: AccountPageShape) =>
  preparedQuery(PAGE_PARAMETERS, (db, p) => accountPageRows(db, p, shape).select(['id', sql<string>`xmin::text`.as('row_version')])),
);

/**
 * What an account's view is made of. A listed page reads only these: node:sqlite builds every
 * column of every row into a JS value, and for a page of 50 accounts that was a third of the
 * request (docs/performance.md).
 */
const ACCOUNT_VIEW_COLUMNS = [
  'id',
  'project_id',
  'platform',
  'handle',
  'display_name',
  'avatar_media_id',
  'status',
  'leased',
  'connected_at',
  'access_token_expires_at',
  'reauth_required_at',
  'reauth_reason',
  'disconnected_at',
  'disconnected_reason',
] as const satisfies ReadonlyArray<keyof SocialAccountsTable>;

export function toAccountView(row: Pick<SocialAccountsTable, (typeof ACCOUNT_VIEW_COLUMNS)[number]>, publicBaseUrl: string): SocialAccountView {
  return {
    socialAccountId: row.id,
    projectId: row.project_id,
    platform: row.platform,
    handle: row.handle,
    displayName: row.display_name,
    avatarUrl: row.avatar_media_id ? mediaUrl(publicBaseUrl, row.avatar_media_id) : null,
    status: row.status,
    leased: row.leased === 1,
    connectedAt: row.connected_at,
    tokenExpiresAt: row.access_token_expires_at,
    reauthRequiredAt: row.reauth_required_at,
    reauthReason: row.reauth_reason,
    disconnectedAt: row.disconnected_at,
    disconnectedReason: row.disconnected_reason,
  };
}
