import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { conflict } from '../errors.ts';
import { getProject } from '../projects/projects.ts';
import type { Project } from '../projects/schemas.ts';

/** The project new content goes into: the caller's (else 404), and not archived (409). */
export async function findProjectForContent(db: Kysely<Database>, organizationId: string, projectId: string): Promise<Project> {
  const project = await getProject(db, organizationId, projectId);
  if (project.status === 'archived') throw conflict('The project is archived; unarchive it to upload content.', project.status);
  return project;
}
