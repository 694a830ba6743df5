import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.ts';
import { ApiError } from '../errors.ts';
import type { RouteApp } from './app.ts';

/** Liveness and readiness for load balancers and orchestrators (no authentication). */
export function registerSystemRoutes(app: RouteApp, deps: { db: Kysely<Database> }): void {
  app.get(
    '/healthz',
    { schema: { tags: ['System'], summary: 'Liveness: the process answers', security: [], response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    { schema: { tags: ['System'], summary: 'Readiness: the database answers', security: [], response: { 200: z.object({ status: z.literal('ready') }) } } },
    async (request) => {
      try {
        await sql`select 1`.execute(deps.db);
      } catch (error) {
        request.log.error({ err: error }, 'readiness check failed');
        throw new ApiError(503, 'INTERNAL', 'The database is not reachable.');
      }
      return { status: 'ready' as const };
    },
  );
}
