import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import type { RouteApp } from '../http/app.ts';
import { principalOf } from '../http/access.ts';
import { errorResponses } from '../http/openapi.ts';
import { projectIdParam } from '../http/path-params.ts';
import { metricsQuery, metricsResponse, topPerformersQuery, topPerformersResponse } from './schemas.ts';
import { readMetrics } from './series.ts';
import { topPerformers } from './top-performers.ts';

const tags = ['Metrics'];
const read = { access: { scope: 'metrics:read', endpointClass: 'read' } } as const;

export function registerMetricsRoutes(app: RouteApp, deps: { db: Kysely<Database>; clock: Clock }): void {
  app.get(
    '/v1/projects/:projectId/metrics',
    {
      schema: {
        tags,
        summary: 'A post’s, account’s or project’s metrics over time, in hourly, daily or weekly buckets',
        params: projectIdParam,
        querystring: metricsQuery,
        response: { 200: metricsResponse, ...errorResponses },
      },
      config: read,
    },
    async (request) => readMetrics(deps.db, deps.clock, principalOf(request), request.params.projectId, request.query),
  );

  app.get(
    '/v1/projects/:projectId/top-performers',
    {
      schema: {
        tags,
        summary: 'A project’s best posts of the last 7, 30 or 90 days, by views or engagement rate',
        params: projectIdParam,
        querystring: topPerformersQuery,
        response: { 200: topPerformersResponse, ...errorResponses },
      },
      config: read,
    },
    async (request) => topPerformers(deps.db, deps.clock, principalOf(request), request.params.projectId, request.query),
  );
}
