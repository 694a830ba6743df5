import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database, ProjectsTable } from '../db/schema.ts';
import { readsById } from '../db/reads-by-id.ts';
import { isUniqueViolation } from '../db/unique-violation.ts';
import { ApiError, notFound } from '../errors.ts';
import { after, toPage, type Cursor } from '../http/pagination.ts';
import { newId } from '../ids.ts';
import { cancelQueuedPosts } from '../posts/cancel.ts';
import type { CreateProjectInput, Project, UpdateProjectInput } from './schemas.ts';

export interface ProjectListQuery {
  customerExternalId?: string;
  status?: Project['status'];
  /** Case-insensitive substring of the name. */
  search?: string;
  limit: number;
  cursor?: Cursor;
}

export async function createProject(
  db: Kysely<Database>,
  clock: Clock,
  organizationId: string,
  input: CreateProjectInput,
): Promise<Project> {
  const now = clock.now().toISOString();
  const row: ProjectsTable = {
    id: newId('prj'),
    organization_id: organizationId,
    name: input.name,
    status: 'active',
    timezone: input.timezone,
    customer_external_id: input.customerExternalId ?? null,
    owner_email: input.ownerEmail ?? null,
    primary_language: input.primaryLanguage,
    app_name: input.appName ?? null,
    app_description: input.appDescription ?? null,
    tagline: input.tagline ?? null,
    brand_voice: input.brandVoice ?? null,
    target_gender: input.targetGender ?? null,
    metadata: input.metadata ? JSON.stringify(input.metadata) : null,
    created_at: now,
    updated_at: now,
  };
  try {
    await db.insertInto('projects').values(row).execute();
  } catch (error) {
    throw isUniqueViolation(error) ? customerExternalIdTaken(row.customer_external_id) : error;
  }
  return toProject(row);
}

/** A project of another organization is reported absent, never forbidden. */
export async function getProject(db: Kysely<Database>, organizationId: string, id: string): Promise<Project> {
  return toProject(await findProjectRow(db, organizationId, id));
}

export async function listProjects(
  db: Kysely<Database>,
  organizationId: string,
  query: ProjectListQuery,
): Promise<{ items: Project[]; nextCursor: string | null }> {
  let select = db.selectFrom('projects').selectAll().where('organization_id', '=', organizationId);
  if (query.customerExternalId !== undefined) select = select.where('customer_external_id', '=', query.customerExternalId);
  if (query.status) select = select.where('status', '=', query.status);
  if (query.search !== undefined) select = select.where(nameContains(query.search));
  if (query.cursor) select = select.where(after<Database, 'projects'>(query.cursor, 'created_at'));
  const rows = await select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute();
  return toPage(rows, query.limit, (row) => ({ at: row.created_at, id: row.id }), toProject);
}

export async function updateProject(
  db: Kysely<Database>,
  clock: Clock,
  organizationId: string,
  id: string,
  patch: UpdateProjectInput,
): Promise<Project> {
  const current = await findProjectRow(db, organizationId, id);
  const changes: Partial<ProjectsTable> = { updated_at: clock.now().toISOString() };
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.timezone !== undefined) changes.timezone = patch.timezone;
  if (patch.customerExternalId !== undefined) changes.customer_external_id = patch.customerExternalId;
  if (patch.ownerEmail !== undefined) changes.owner_email = patch.ownerEmail;
  if (patch.primaryLanguage !== undefined) changes.primary_language = patch.primaryLanguage;
  if (patch.appName !== undefined) changes.app_name = patch.appName;
  if (patch.appDescription !== undefined) changes.app_description = patch.appDescription;
  if (patch.tagline !== undefined) changes.tagline = patch.tagline;
  if (patch.brandVoice !== undefined) changes.brand_voice = patch.brandVoice;
  if (patch.targetGender !== undefined) changes.target_gender = patch.targetGender;
  if (patch.metadata !== undefined) changes.metadata = patch.metadata === null ? null : JSON.stringify(patch.metadata);
  if (patch.status !== undefined) changes.status = patch.status;
  try {
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('projects').set(changes).where('id', '=', current.id).execute();
      // Archiving cancels the project's queued posts, in the same transaction (docs/reference/projects.md).
      if (patch.status === 'archived' && current.status !== 'archived') await cancelQueuedPosts(trx, clock, { projectId: current.id }, 'project_archived');
    });
  } catch (error) {
    throw isUniqueViolation(error) ? customerExternalIdTaken(patch.customerExternalId ?? null) : error;
  }
  return getProject(db, organizationId, id);
}

/**
 * DELETE archives: the project and everything in it stays readable (its queued posts are
 * canceled), and PATCH `status: "active"` brings it back.
 */
export async function archiveProject(db: Kysely<Database>, clock: Clock, organizationId: string, id: string): Promise<Project> {
  return updateProject(db, clock, organizationId, id, { status: 'archived' });
}

/**
 * `lower()` on both sides, so SQLite and Postgres agree (SQLite's LIKE ignores case only for ASCII,
 * Postgres's not at all); `%`, `_` and `\` in the search are literal characters.
 */
function nameContains(search: string) {
  const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`lower(name) like lower(${pattern}) escape '\\'`;
}

const projectsById = readsById((db, ids) => db.selectFrom('projects').selectAll().where('id', 'in', ids));

async function findProjectRow(db: Kysely<Database>, organizationId: string, id: string): Promise<ProjectsTable> {
  const row = await projectsById.one(db, id);
  if (!row || row.organization_id !== organizationId) throw notFound(`Project ${id}`);
  return row;
}

function customerExternalIdTaken(value: string | null): ApiError {
  return new ApiError(409, 'CONFLICT', `Another project of this organization already has customerExternalId "${value}".`, {
    field: 'customerExternalId',
  });
}

function toProject(row: ProjectsTable): Project {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    status: row.status,
    timezone: row.timezone,
    customerExternalId: row.customer_external_id,
    ownerEmail: row.owner_email,
    primaryLanguage: row.primary_language,
    appName: row.app_name,
    appDescription: row.app_description,
    tagline: row.tagline,
    brandVoice: row.brand_voice as Project['brandVoice'],
    targetGender: row.target_gender as Project['targetGender'],
    metadata: row.metadata ? (JSON.parse(row.metadata) as Record<string, unknown>) : {},
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
