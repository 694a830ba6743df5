import { z } from 'zod';
import type { RouteApp } from '../http/app.ts';
import { principalOf } from '../http/access.ts';
import { errorResponses } from '../http/openapi.ts';
import { paginationQuery } from '../http/pagination.ts';
import { pathId, projectIdParam } from '../http/path-params.ts';
import { getProject } from '../projects/projects.ts';
import { deleteContainer, getContainer, listContainers, updateCaption } from './containers.ts';
import type { ContentDeps } from './deps.ts';
import { createUploadSessions, finalizeUpload } from './direct-upload.ts';
import { approveContainer, getReviewPolicy, rejectContainer, setReviewPolicy } from './review.ts';
import {
  approveBody,
  approvedContainerSchema,
  captionBody,
  CONTAINER_STATUSES,
  containerPageSchema,
  containerSchema,
  createUploadsBody,
  finalizeBody,
  rejectBody,
  reviewPolicyBody,
  reviewPolicySchema,
  uploadFromUrlsBody,
  uploadSessionSchema,
} from './schemas.ts';
import { uploadFromUrls } from './url-upload.ts';

const tags = ['Content'];
const containerParam = z.object({ containerId: pathId('cnt') });
const read = { access: { scope: 'content:read', endpointClass: 'read' } } as const;
const write = { access: { scope: 'content:write', endpointClass: 'write' } } as const;
const approve = { access: { scope: 'content:approve', endpointClass: 'write' } } as const;
const timestamp = z.iso.datetime({ offset: false });
const listQuery = z.strictObject({
  // `?status=a&status=b` arrives as an array, a single one as a string.
  status: z.union([z.enum(CONTAINER_STATUSES), z.array(z.enum(CONTAINER_STATUSES)).max(4)]).transform((v) => (Array.isArray(v) ? v : [v])).optional(),
  creativeType: z.string().max(64).optional(),
  format: z.string().max(64).optional(),
  since: timestamp.optional(),
  until: timestamp.optional(),
  ...paginationQuery,
});

export function registerContentRoutes(app: RouteApp, deps: ContentDeps): void {
  app.post(
    '/v1/projects/:projectId/content/upload',
    {
      schema: { tags, summary: 'Upload finished media by URL (fetched, checked, stored; all or nothing)', params: projectIdParam, body: uploadFromUrlsBody, response: { 201: containerSchema, ...errorResponses } },
      config: write,
    },
    async (request, reply) => reply.status(201).send(await uploadFromUrls(deps, principalOf(request), request.params.projectId, request.body)),
  );

  app.post(
    '/v1/projects/:projectId/content/uploads',
    {
      schema: { tags, summary: 'Start a direct upload: containers and one upload URL per file', params: projectIdParam, body: createUploadsBody, response: { 201: uploadSessionSchema, ...errorResponses } },
      config: write,
    },
    async (request, reply) => reply.status(201).send(await createUploadSessions(deps, principalOf(request), request.params.projectId, request.body)),
  );

  app.post(
    '/v1/content/:containerId/finalize-upload',
    {
      schema: { tags, summary: 'Finish a direct upload once every file was PUT', params: containerParam, body: finalizeBody, response: { 200: containerSchema, ...errorResponses } },
      config: write,
    },
    async (request) => finalizeUpload(deps, principalOf(request), request.params.containerId, request.body.caption),
  );

  app.get(
    '/v1/content/:containerId',
    { schema: { tags, summary: 'Get a content container', params: containerParam, response: { 200: containerSchema, ...errorResponses } }, config: read },
    async (request) => getContainer(deps, principalOf(request).organizationId, request.params.containerId),
  );

  app.get(
    '/v1/projects/:projectId/content',
    {
      schema: { tags, summary: 'List a project’s content containers, newest first', params: projectIdParam, querystring: listQuery, response: { 200: containerPageSchema, ...errorResponses } },
      config: read,
    },
    async (request) => {
      const project = await getProject(deps.db, principalOf(request).organizationId, request.params.projectId);
      return listContainers(deps, project.id, request.query);
    },
  );

  app.patch(
    '/v1/content/:containerId',
    { schema: { tags, summary: 'Change a completed container’s caption', params: containerParam, body: captionBody, response: { 200: containerSchema, ...errorResponses } }, config: write },
    async (request) => updateCaption(deps, principalOf(request).organizationId, request.params.containerId, request.body.caption),
  );

  app.delete(
    '/v1/content/:containerId',
    { schema: { tags, summary: 'Cancel a container and delete its bytes', params: containerParam, response: { 200: containerSchema, ...errorResponses } }, config: write },
    async (request) => deleteContainer(deps, principalOf(request).organizationId, request.params.containerId),
  );

  app.post(
    '/v1/content/:containerId/approve',
    { schema: { tags, summary: 'Approve a container pending review', params: containerParam, body: approveBody, response: { 200: approvedContainerSchema, ...errorResponses } }, config: approve },
    async (request) => approveContainer(deps, principalOf(request).organizationId, request.params.containerId, request.body.note ?? null),
  );

  app.post(
    '/v1/content/:containerId/reject',
    { schema: { tags, summary: 'Reject a container pending review', params: containerParam, body: rejectBody, response: { 200: containerSchema, ...errorResponses } }, config: approve },
    async (request) => rejectContainer(deps, principalOf(request).organizationId, request.params.containerId, request.body.reason),
  );

  app.get(
    '/v1/projects/:projectId/content-review-policy',
    {
      schema: { tags, summary: 'The project’s content review policy', params: projectIdParam, response: { 200: reviewPolicySchema, ...errorResponses } },
      config: { access: { scope: 'projects:read', endpointClass: 'read' } },
    },
    async (request) => {
      const project = await getProject(deps.db, principalOf(request).organizationId, request.params.projectId);
      return getReviewPolicy(deps.db, project.id);
    },
  );

  app.patch(
    '/v1/projects/:projectId/content-review-policy',
    {
      schema: { tags, summary: 'Set the project’s content review policy', params: projectIdParam, body: reviewPolicyBody, response: { 200: reviewPolicySchema, ...errorResponses } },
      config: { access: { scope: 'projects:write', endpointClass: 'write' } },
    },
    async (request) => {
      const project = await getProject(deps.db, principalOf(request).organizationId, request.params.projectId);
      return setReviewPolicy(deps, project.id, request.body);
    },
  );
}
