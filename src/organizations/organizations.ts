import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database, OrganizationsTable } from '../db/schema.ts';
import { notFound } from '../errors.ts';
import { newId } from '../ids.ts';

export interface Organization {
  id: string;
  name: string;
  suspended: boolean;
  suspendedAt: string | null;
  createdAt: string;
}

export async function createOrganization(db: Kysely<Database>, clock: Clock, name: string): Promise<Organization> {
  const now = clock.now().toISOString();
  const row: OrganizationsTable = { id: newId('org'), name, suspended_at: null, created_at: now, updated_at: now };
  await db.insertInto('organizations').values(row).execute();
  return toOrganization(row);
}

export async function getOrganization(db: Kysely<Database>, id: string): Promise<Organization> {
  const row = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`Organization ${id}`);
  return toOrganization(row);
}

/** A suspended organization's keys answer 503 KILL_SWITCH (scope `org`) from the next request on. */
export async function setOrganizationSuspended(
  db: Kysely<Database>,
  clock: Clock,
  id: string,
  suspended: boolean,
): Promise<Organization> {
  const now = clock.now().toISOString();
  const result = await db
    .updateTable('organizations')
    .set({ suspended_at: suspended ? now : null, updated_at: now })
    .where('id', '=', id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw notFound(`Organization ${id}`);
  return getOrganization(db, id);
}

function toOrganization(row: OrganizationsTable): Organization {
  return {
    id: row.id,
    name: row.name,
    suspended: row.suspended_at !== null,
    suspendedAt: row.suspended_at,
    createdAt: row.created_at,
  };
}
