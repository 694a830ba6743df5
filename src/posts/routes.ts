import { z } from 'zod';
import type { RouteApp } from '../http/app.ts';
import type { ListVersions } from '../db/list-versions.ts';
import { principalOf } from '../http/access.ts';
import { pageKey, type ListedPages } from '../http/listed-pages.ts';
import { errorResponses } from '../http/openapi.ts';
import { pathId, projectIdParam } from '../http/path-params.ts';
import { cancelPost } from './cancel.ts';
import { findPost, listPosts, postPageVersion, toPostView } from './posts.ts';
import { reschedulePost } from './reschedule.ts';
import { publishNow, schedule, type PostsDeps } from './schedule.ts';
import {
  cancelBody,
  gatedResponse,
  listPostsQuery,
  publishBody,
  rescheduleBody,
  scheduleBody,
  scheduledPostPage,
  scheduledPostSchema,
  scheduledResponse,
  type TargetInput,
} from './schemas.ts';

const tags = ['Scheduled posts'];
const containerParam = z.object({ containerId: pathId('cnt') });
const postParam = z.object({ scheduledPostId: pathId('sp') });
const write = { access: { scope: 'publish:write', endpointClass: 'write' } } as const;
const read = { access: { scope: 'publish:read', endpointClass: 'read' } } as const;

export function registerPostRoutes(app: RouteApp, deps: PostsDeps & { listedPages: ListedPages; listVersions: ListVersions }): void {
  app.post(
    '/v1/content/:containerId/schedule',
    {
      schema: {
        tags,
        summary: 'Schedule a container to 1–50 accounts (one post each, all or nothing)',
        params: containerParam,
        body: scheduleBody,
        response: { 201: scheduledResponse, 202: gatedResponse, ...errorResponses },
      },
      config: write,
    },
    async (request, reply) => {
      const { scheduledFor, targets } = request.body;
      const outcome = await schedule(deps, principalOf(request), request.params.containerId, { scheduledFor, targets: targets as TargetInput[] });
      return reply.status(outcome.status).send(outcome.body);
    },
  );

  app.post(
    '/v1/content/:containerId/publish',
    {
      schema: {
        tags,
        summary: 'Publish a container now to 1–50 accounts',
        params: containerParam,
        body: publishBody,
        response: { 201: scheduledResponse, ...errorResponses },
      },
      config: write,
    },
    async (request, reply) => {
      return reply.status(201).send(await publishNow(deps, principalOf(request), request.params.containerId, request.body.targets as TargetInput[]));
    },
  );

  app.get(
    '/v1/scheduled-posts/:scheduledPostId',
    { schema: { tags, summary: 'A scheduled post, with its last error and next attempt', params: postParam, response: { 200: scheduledPostSchema, ...errorResponses } }, config: read },
    async (request) => toPostView(await findPost(deps.db, principalOf(request).organizationId, request.params.scheduledPostId)),
  );

  app.get(
    '/v1/projects/:projectId/scheduled-posts',
    {
      schema: {
        tags,
        summary: 'A project’s scheduled posts, newest scheduledFor first',
        params: projectIdParam,
        querystring: listPostsQuery,
        response: { 200: scheduledPostPage, ...errorResponses },
      },
      config: read,
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { projectId } = request.params;
      const key = pageKey('scheduled_posts', principal.organizationId, projectId, request.query);
      await deps.listedPages.serve(
        reply,
        key,
        () => postPageVersion(deps.listVersions, deps.db, key, principal, projectId, request.query),
        () => listPosts(deps.db, principal, projectId, request.query),
      );
    },
  );

  app.post(
    '/v1/scheduled-posts/:scheduledPostId/reschedule',
    {
      schema: { tags, summary: 'Move a queued post to another time', params: postParam, body: rescheduleBody, response: { 200: scheduledPostSchema, ...errorResponses } },
      config: write,
    },
    async (request) => reschedulePost(deps.db, deps.clock, principalOf(request), request.params.scheduledPostId, request.body.scheduledFor),
  );

  app.delete(
    '/v1/scheduled-posts/:scheduledPostId',
    {
      schema: {
        tags,
        summary: 'Cancel a post that has not reached the platform',
        params: postParam,
        // A DELETE usually has no body: Fastify hands the schema null then.
        body: cancelBody.nullish(),
        response: { 200: scheduledPostSchema, ...errorResponses },
      },
      config: write,
    },
    async (request) => cancelPost(deps.db, deps.clock, principalOf(request), request.params.scheduledPostId, request.body?.reason),
  );
}
