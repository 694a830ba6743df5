import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import type { RouteApp } from '../http/app.ts';
import { principalOf } from '../http/access.ts';
import { errorResponses } from '../http/openapi.ts';
import { paginationQuery } from '../http/pagination.ts';
import { projectIdParam } from '../http/path-params.ts';
import { archiveProject, createProject, getProject, listProjects, updateProject } from './projects.ts';
import { createProjectBody, PROJECT_STATUSES, projectSchema, updateProjectBody } from './schemas.ts';

const listQuery = z.strictObject({
  customerExternalId: z.string().max(128).optional(),
  status: z.enum(PROJECT_STATUSES).optional(),
  search: z.string().min(1).max(128).optional().describe('Case-insensitive substring of the project name.'),
  ...paginationQuery,
});
const projectPage = z.object({ items: z.array(projectSchema), nextCursor: z.string().nullable() }).meta({ id: 'ProjectPage' });
const tags = ['Projects'];

export function registerProjectRoutes(app: RouteApp, deps: { db: Kysely<Database>; clock: Clock }): void {
  const { db, clock } = deps;

  app.post(
    '/v1/projects',
    {
      schema: { tags, summary: 'Create a project', body: createProjectBody, response: { 201: projectSchema, ...errorResponses } },
      config: { access: { scope: 'projects:write', endpointClass: 'write' } },
    },
    async (request, reply) => {
      const project = await createProject(db, clock, principalOf(request).organizationId, request.body);
      request.auditProjectId = project.id;
      return reply.status(201).send(project);
    },
  );

  app.get(
    '/v1/projects',
    {
      schema: { tags, summary: 'List projects, newest first', querystring: listQuery, response: { 200: projectPage, ...errorResponses } },
      config: { access: { scope: 'projects:read', endpointClass: 'read' } },
    },
    async (request) => listProjects(db, principalOf(request).organizationId, request.query),
  );

  app.get(
    '/v1/projects/:projectId',
    {
      schema: { tags, summary: 'Get a project', params: projectIdParam, response: { 200: projectSchema, ...errorResponses } },
      config: { access: { scope: 'projects:read', endpointClass: 'read' } },
    },
    async (request) => getProject(db, principalOf(request).organizationId, request.params.projectId),
  );

  app.patch(
    '/v1/projects/:projectId',
    {
      schema: {
        tags,
        summary: 'Update a project (omitted fields unchanged, metadata replaced whole)',
        params: projectIdParam,
        body: updateProjectBody,
        response: { 200: projectSchema, ...errorResponses },
      },
      config: { access: { scope: 'projects:write', endpointClass: 'write' } },
    },
    async (request) => updateProject(db, clock, principalOf(request).organizationId, request.params.projectId, request.body),
  );

  app.delete(
    '/v1/projects/:projectId',
    {
      schema: { tags, summary: 'Archive a project (reversible through PATCH)', params: projectIdParam, response: { 200: projectSchema, ...errorResponses } },
      config: { access: { scope: 'projects:write', endpointClass: 'write' } },
    },
    async (request) => archiveProject(db, clock, principalOf(request).organizationId, request.params.projectId),
  );
}
